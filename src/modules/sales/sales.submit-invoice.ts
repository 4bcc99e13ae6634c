/**
 * Submits a draft, taking any last payments: BEGIN, lock, payments + status + stock + ledger +
 * rollups, COMMIT — 4 statements whatever the number of lines (5 with an idempotency key).
 */
import { Big } from '../../infra/decimal.ts'
import { invalid } from '../../infra/errors.ts'
import type { Replayable, WriteOptions } from '../../infra/idempotency/idempotency.ts'
import { idempotencyScopeOf, type Principal } from '../access/index.ts'
import { tendersOf } from './sales.lines.ts'
import { toInvoice } from './sales.mapping.ts'
import * as repo from './sales.repository.ts'
import { invoiceEffect, lockForWrite, notPaid, refusingShortLines, requireDraft, type SalesContext, withPayments } from './sales.rules.ts'
import type { Invoice, SubmitInvoiceInput } from './sales.schemas.ts'

export async function submitInvoice(
  ctx: SalesContext,
  principal: Principal,
  id: number,
  input: SubmitInvoiceInput = {},
  options: WriteOptions = {},
): Promise<Replayable<Invoice>> {
  const tenders = tendersOf(input.payments)
  const write = { scope: idempotencyScopeOf(principal), operation: `submit invoice ${id}`, request: input, options }
  return ctx.writes.inTransaction(write, async (trx, key) => {
    const record = await lockForWrite(trx, principal, id)
    requireDraft(record)
    if (record.lines.length === 0) throw invalid('SALES_INVOICE_EMPTY', 'An invoice needs at least one line.')
    const after = withPayments(record, tenders, { submit: true })
    if (new Big(after.paid_total).lt(after.total)) throw notPaid(new Big(after.total), new Big(after.paid_total))
    const invoice = toInvoice(after)
    const submitted: repo.PaymentsUpdate = {
      invoiceId: id,
      payments: after.payments.slice(record.payments.length),
      paidTotal: after.paid_total,
      changeDue: after.change_due,
      submit: true,
      storeResponse: key?.storeInStatement(invoice) ?? null,
      effect: invoiceEffect('sale', record.location_id, principal, record),
      at: record.now,
    }
    await refusingShortLines(record.lines, (l) => ({ lineId: l.id }), () => repo.updatePayments(trx, submitted))
    return invoice
  })
}
