/** Records payments on a draft: BEGIN, lock, payments + totals, COMMIT — 4 statements. */
import type { Replayable, WriteOptions } from '../../infra/idempotency/idempotency.ts'
import { invalid } from '../../infra/errors.ts'
import { idempotencyScopeOf, type Principal } from '../access/index.ts'
import { tendersOf } from './sales.lines.ts'
import { toInvoice } from './sales.mapping.ts'
import * as repo from './sales.repository.ts'
import { lockForWrite, requireDraft, type SalesContext, withPayments } from './sales.rules.ts'
import type { Invoice, PayInvoiceInput } from './sales.schemas.ts'

export async function payInvoice(
  ctx: SalesContext,
  principal: Principal,
  id: number,
  input: PayInvoiceInput,
  options: WriteOptions = {},
): Promise<Replayable<Invoice>> {
  const tenders = tendersOf(input.payments)
  if (tenders.length === 0) throw invalid('SALES_NO_PAYMENT', 'Give at least one payment.', { field: '/payments' })
  const write = { scope: idempotencyScopeOf(principal), operation: `pay invoice ${id}`, request: input, options }
  return ctx.writes.inTransaction(write, async (trx, key) => {
    const record = await lockForWrite(trx, principal, id)
    requireDraft(record)
    const after = withPayments(record, tenders, { submit: false })
    const invoice = toInvoice(after)
    await repo.updatePayments(trx, {
      invoiceId: id,
      payments: after.payments.slice(record.payments.length),
      paidTotal: after.paid_total,
      changeDue: after.change_due,
      submit: false,
      storeResponse: key?.storeInStatement(invoice) ?? null,
      effect: null,
      at: record.now,
    })
    return invoice
  })
}
