/**
 * Cancels a draft, or a submitted invoice without returns (managers and admins): the stock comes
 * back and the sale leaves the rollups of the hour it was made in. BEGIN, lock, the cancel with its
 * stock and rollups, COMMIT — 4 statements.
 */
import { Big } from '../../infra/decimal.ts'
import { conflict } from '../../infra/errors.ts'
import type { Replayable, WriteOptions } from '../../infra/idempotency/idempotency.ts'
import { idempotencyScopeOf, type Principal, requireRole } from '../access/index.ts'
import { toInvoice } from './sales.mapping.ts'
import * as repo from './sales.repository.ts'
import { invoiceEffect, lockForWrite, type SalesContext } from './sales.rules.ts'
import type { Invoice } from './sales.schemas.ts'

export async function cancelInvoice(
  ctx: SalesContext,
  principal: Principal,
  id: number,
  options: WriteOptions = {},
): Promise<Replayable<Invoice>> {
  const write = { scope: idempotencyScopeOf(principal), operation: `cancel invoice ${id}`, request: {}, options }
  return ctx.writes.inTransaction(write, async (trx, key) => {
    const record = await lockForWrite(trx, principal, id)
    if (record.status === 'cancelled') {
      throw conflict('SALES_INVOICE_NOT_CANCELLABLE', `Invoice ${id} is cancelled already.`, { status: record.status })
    }
    const wasSubmitted = record.status === 'submitted'
    if (wasSubmitted) {
      requireRole(principal, ['admin', 'manager'])
      if (new Big(record.returned_total).gt(0) || record.lines.some((l) => new Big(l.returned_quantity).gt(0))) {
        throw conflict('SALES_INVOICE_HAS_RETURNS', `Invoice ${id} has returns; return the remaining lines instead of cancelling it.`)
      }
    }
    const invoice = toInvoice({ ...record, status: 'cancelled', cancelled_at: record.now, updated_at: record.now })
    // the sale leaves the rollups of the hour it was made in
    const effect = wasSubmitted
      ? { effect: invoiceEffect('cancel', record.location_id, principal, record), submittedAt: record.submitted_at ?? record.now }
      : null
    await repo.markCancelled(trx, id, key?.storeInStatement(invoice) ?? null, effect)
    return invoice
  })
}
