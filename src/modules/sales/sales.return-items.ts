/**
 * Returns part of a submitted invoice (never more than was sold, per line): the return and its
 * lines, stock and ledger restored, refund recorded, rollups of the current hour reduced.
 * BEGIN, lock, the return with all of that, COMMIT — 4 statements.
 */
import { Big, decimalString, money } from '../../infra/decimal.ts'
import { conflict, invalid, notFound } from '../../infra/errors.ts'
import type { ClaimedKey, Replayable, WriteOptions } from '../../infra/idempotency/idempotency.ts'
import { idempotencyScopeOf, type Principal } from '../access/index.ts'
import { refundFor } from '../catalog/index.ts'
import { positiveQuantity, returnedBaseUnits, ZERO } from './sales.lines.ts'
import { negated, toInvoice } from './sales.mapping.ts'
import * as repo from './sales.repository.ts'
import { lockForWrite, type SalesContext } from './sales.rules.ts'
import type { ReturnInput, ReturnResult, SalesReturn } from './sales.schemas.ts'

/** One returned line: how much comes back and what it refunds. */
interface ReturnedLine {
  line: repo.InvoiceLineRecord
  quantity: Big
  baseQuantity: Big
  refund: { net: Big; tax: Big; total: Big }
}

export async function returnItems(
  ctx: SalesContext,
  principal: Principal,
  id: number,
  input: ReturnInput,
  options: WriteOptions = {},
): Promise<Replayable<ReturnResult>> {
  if (input.lines.length === 0) throw invalid('SALES_RETURN_EMPTY', 'A return needs at least one line.')
  // the same line named twice is returned once, with the quantities summed
  const requested = new Map<number, Big>()
  input.lines.forEach((l, i) => {
    const quantity = positiveQuantity(l.quantity, `lines[${i}].quantity`)
    requested.set(l.lineId, (requested.get(l.lineId) ?? ZERO).plus(quantity))
  })
  const write = { scope: idempotencyScopeOf(principal), operation: `return invoice ${id}`, request: input, options }
  return ctx.writes.inTransaction(write, async (trx, key) => {
    const record = await lockForWrite(trx, principal, id)
    if (record.status !== 'submitted') {
      throw conflict('SALES_INVOICE_NOT_SUBMITTED', `Invoice ${id} is ${record.status}; only a submitted invoice takes returns.`, {
        status: record.status,
      })
    }
    const returned = returnedLines(record, requested)
    const result = returnResult(record, returned, input)
    const inserted = await repo.insertReturn(trx, newReturnOf(record, result, principal, key))
    result.return.id = inserted.id
    return result
  })
}

/** The rows to write for `result`, with the stock coming back and the rollups of the hour of the return. */
function newReturnOf(record: repo.LockedInvoiceRecord, result: ReturnResult, principal: Principal, key: ClaimedKey | null): repo.NewReturn {
  const { return: salesReturn } = result
  return {
    invoiceId: record.id,
    locationId: record.location_id,
    reason: salesReturn.reason,
    refundMethod: salesReturn.refundMethod,
    netAmount: salesReturn.netAmount,
    taxAmount: salesReturn.taxAmount,
    totalAmount: salesReturn.totalAmount,
    tokenId: principal.tokenId,
    lines: salesReturn.lines.map((l) => ({
      invoice_line_id: l.lineId,
      product_id: l.productId,
      quantity: l.quantity,
      base_quantity: l.baseQuantity,
      net_amount: l.netAmount,
      tax_amount: l.taxAmount,
      total_amount: l.totalAmount,
    })),
    // the SQL puts the new return's id into the stored response
    idempotency: key ? { key, response: result } : null,
    // a return counts in the hour it happens
    effect: {
      kind: 'return',
      locationId: record.location_id,
      tokenId: principal.tokenId,
      totals: {
        invoices: 0,
        returns: 1,
        netAmount: negated(salesReturn.netAmount),
        taxAmount: negated(salesReturn.taxAmount),
        totalAmount: negated(salesReturn.totalAmount),
        discountAmount: '0',
      },
    },
    at: record.now,
  }
}

/** The requested lines with their refunds; unknown lines and more than is returnable are refused, naming each. */
function returnedLines(record: repo.InvoiceRecord, requested: ReadonlyMap<number, Big>): ReturnedLine[] {
  const byId = new Map(record.lines.map((l) => [l.id, l]))
  const unknown = [...requested.keys()].filter((lineId) => !byId.has(lineId))
  if (unknown.length > 0) {
    throw notFound('SALES_LINE_NOT_FOUND', `Invoice ${record.id} has no line ${unknown.join(', ')}.`, { lineIds: unknown })
  }
  const tooMany = [...requested].flatMap(([lineId, quantity]) => {
    const line = byId.get(lineId)!
    const left = new Big(line.quantity).minus(line.returned_quantity)
    return quantity.gt(left) ? [{ lineId, requested: decimalString(quantity), returnable: decimalString(left) }] : []
  })
  if (tooMany.length > 0) {
    throw invalid(
      'SALES_RETURN_EXCEEDS_SOLD',
      `Cannot return more than was sold: ${tooMany.map((t) => `line ${t.lineId} (asked ${t.requested}, returnable ${t.returnable})`).join(', ')}.`,
      { lines: tooMany },
    )
  }
  return [...requested]
    .sort(([a], [b]) => a - b)
    .map(([lineId, quantity]) => {
      const line = byId.get(lineId)!
      const refund = refundFor(
        {
          quantity: new Big(line.quantity),
          netAmount: new Big(line.net_amount),
          taxAmount: new Big(line.tax_amount),
          returnedQuantity: new Big(line.returned_quantity),
          returnedNet: new Big(line.returned_net),
          returnedTax: new Big(line.returned_tax),
        },
        quantity,
      )
      return { line, quantity, baseQuantity: returnedBaseUnits(line, quantity), refund }
    })
}

/** The return and the invoice after it, as the response (the return's id is filled in once written). */
function returnResult(record: repo.LockedInvoiceRecord, returned: readonly ReturnedLine[], input: ReturnInput): ReturnResult {
  const sum = (pick: (r: ReturnedLine) => Big) => returned.reduce((t, r) => t.plus(pick(r)), ZERO)
  const net = sum((r) => r.refund.net)
  const tax = sum((r) => r.refund.tax)
  const total = net.plus(tax)
  const changed = new Map(returned.map((r) => [r.line.id, r]))
  const invoice = toInvoice({
    ...record,
    returned_total: money(new Big(record.returned_total).plus(total)),
    updated_at: record.now,
    lines: record.lines.map((l) => {
      const r = changed.get(l.id)
      if (!r) return l
      return {
        ...l,
        returned_quantity: decimalString(new Big(l.returned_quantity).plus(r.quantity)),
        returned_net: money(new Big(l.returned_net).plus(r.refund.net)),
        returned_tax: money(new Big(l.returned_tax).plus(r.refund.tax)),
      }
    }),
  })
  const salesReturn: SalesReturn = {
    id: 0,
    invoiceId: record.id,
    reason: input.reason ?? null,
    refundMethod: input.refundMethod ?? 'cash',
    netAmount: money(net),
    taxAmount: money(tax),
    totalAmount: money(total),
    createdAt: record.now.toISOString(),
    lines: returned.map((r) => ({
      lineId: r.line.id,
      productId: r.line.product_id,
      quantity: decimalString(r.quantity),
      baseQuantity: decimalString(r.baseQuantity),
      netAmount: money(r.refund.net),
      taxAmount: money(r.refund.tax),
      totalAmount: money(r.refund.total),
    })),
  }
  return { return: salesReturn, invoice }
}
