/**
 * Returns part of a submitted invoice (never more than was sold, per line): the return and its
 * lines, stock and ledger restored, refund recorded, rollups of the current hour reduced.
 * BEGIN, lock, the return with all of that, COMMIT — 4 statements.
 */
import { Big, decimalString, money } from '../../infra/decimal.ts'
import { conflict, invalid, notFound } from '../../infra/errors.ts'
import type { Replayable, WriteOptions } from '../../infra/idempotency/idempotency.ts'
import { idempotencyScopeOf, type Principal, requireLocation } from '../access/index.ts'
import { namesForMessage, nameOfLine, refundFor, withFields } from '../catalog/index.ts'
import { positiveQuantity, returnedBaseUnits, ZERO } from './sales.lines.ts'
import { negated, toInvoice, toReturn } from './sales.mapping.ts'
import * as repo from './sales.repository.ts'
import type { SalesContext } from './sales.rules.ts'
import type { ReturnInput, ReturnResult } from './sales.schemas.ts'

/** One returned line: how much comes back and what it refunds. */
interface ReturnedLine {
  line: repo.InvoiceLineRecord
  quantity: Big
  baseQuantity: Big
  refund: { net: Big; tax: Big; total: Big }
}

/** What the request asks back of one invoice line: the quantities of every request line naming it, summed. */
interface Requested {
  quantity: Big
  /** the first request line naming it: `lines[0]` */
  path: string
}

export async function returnItems(
  ctx: SalesContext,
  principal: Principal,
  id: number,
  input: ReturnInput,
  options: WriteOptions = {},
): Promise<Replayable<ReturnResult>> {
  if (input.lines.length === 0) throw invalid('SALES_RETURN_EMPTY', 'A return needs at least one line.', { field: '/lines' })
  // the same line named twice is returned once, with the quantities summed
  const requested = new Map<number, Requested>()
  input.lines.forEach((l, i) => {
    const path = `lines[${i}]`
    const quantity = positiveQuantity(l.quantity, `${path}.quantity`)
    const earlier = requested.get(l.lineId)
    requested.set(l.lineId, { quantity: earlier ? earlier.quantity.plus(quantity) : quantity, path: earlier?.path ?? path })
  })
  const write = { scope: idempotencyScopeOf(principal), operation: `return invoice ${id}`, request: input, options }
  return ctx.writes.inTransaction(write, async (trx, key) => {
    const record = await repo.lockInvoiceForReturn(trx, id)
    if (!record) throw notFound('SALES_INVOICE_NOT_FOUND', `No invoice ${id}.`)
    requireLocation(principal, record.location_id)
    if (record.status !== 'submitted') {
      throw conflict('SALES_INVOICE_NOT_SUBMITTED', `Invoice ${id} is ${record.status}; only a submitted invoice takes returns.`, {
        status: record.status,
      })
    }
    const returned = returnedLines(record, requested)
    const created = newReturnRecord(record, returned, input)
    const result: ReturnResult = { return: toReturn(created), invoice: invoiceAfter(record, returned, created) }
    const storeResponse = key?.storeInStatement(result) ?? null
    await repo.insertReturn(trx, { ...writeOf(created, principal, record.now), storeResponse })
    return result
  })
}

/** What to write for the return, with the stock coming back and the rollups of the hour of the return. */
function writeOf(created: repo.ReturnRecord, principal: Principal, now: Date): Omit<repo.NewReturn, 'storeResponse'> {
  return {
    id: created.id,
    invoiceId: created.invoice_id,
    locationId: created.location_id,
    reason: created.reason,
    refundMethod: created.refund_method,
    netAmount: created.net_amount,
    taxAmount: created.tax_amount,
    totalAmount: created.total_amount,
    tokenId: principal.tokenId,
    lines: created.lines,
    // a return counts in the hour it happens
    effect: {
      kind: 'return',
      locationId: created.location_id,
      tokenId: principal.tokenId,
      totals: {
        invoices: 0,
        returns: 1,
        netAmount: negated(created.net_amount),
        taxAmount: negated(created.tax_amount),
        totalAmount: negated(created.total_amount),
        discountAmount: '0',
      },
    },
    at: now,
  }
}

/** The requested lines with their refunds; unknown lines and more than is returnable are refused, naming each. */
function returnedLines(record: repo.InvoiceRecord, requested: ReadonlyMap<number, Requested>): ReturnedLine[] {
  const byId = new Map(record.lines.map((l) => [l.id, l]))
  const unknown = [...requested].flatMap(([lineId, r]) => (byId.has(lineId) ? [] : [{ path: r.path, lineId }]))
  if (unknown.length > 0) {
    throw notFound(
      'SALES_LINE_NOT_FOUND',
      `Invoice ${record.id} has no such line: ${namesForMessage(unknown.map(nameOfLine))}.`,
      { lines: withFields(unknown) },
    )
  }
  const tooMany = [...requested].flatMap(([lineId, r]) => {
    const line = byId.get(lineId)!
    const left = new Big(line.quantity).minus(line.returned_quantity)
    return r.quantity.gt(left)
      ? [{ path: r.path, lineId, requested: decimalString(r.quantity), returnable: decimalString(left) }]
      : []
  })
  if (tooMany.length > 0) {
    const named = tooMany.map((t) => `${nameOfLine(t)}: asked ${t.requested}, returnable ${t.returnable}`)
    throw invalid('SALES_RETURN_EXCEEDS_SOLD', `Cannot return more than was sold: ${namesForMessage(named)}.`, { lines: withFields(tooMany) })
  }
  return [...requested]
    .sort(([a], [b]) => a - b)
    .map(([lineId, { quantity }]) => {
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

/** The return as it will be stored, with the id the lock took for it. */
function newReturnRecord(
  record: repo.InvoiceLockedForReturn,
  returned: readonly ReturnedLine[],
  input: ReturnInput,
): repo.ReturnRecord {
  const sum = (pick: (r: ReturnedLine) => Big) => returned.reduce((t, r) => t.plus(pick(r)), ZERO)
  const net = sum((r) => r.refund.net)
  const tax = sum((r) => r.refund.tax)
  return {
    id: record.return_id,
    invoice_id: record.id,
    location_id: record.location_id,
    reason: input.reason ?? null,
    refund_method: input.refundMethod ?? 'cash',
    net_amount: money(net),
    tax_amount: money(tax),
    total_amount: money(net.plus(tax)),
    created_at: record.now,
    lines: returned.map((r) => ({
      invoice_line_id: r.line.id,
      product_id: r.line.product_id,
      quantity: decimalString(r.quantity),
      base_quantity: decimalString(r.baseQuantity),
      net_amount: money(r.refund.net),
      tax_amount: money(r.refund.tax),
      total_amount: money(r.refund.total),
    })),
  }
}

/** The invoice after the return: what its lines have had returned, its returned total, and its returns. */
function invoiceAfter(record: repo.InvoiceLockedForReturn, returned: readonly ReturnedLine[], created: repo.ReturnRecord) {
  const changed = new Map(returned.map((r) => [r.line.id, r]))
  return toInvoice({
    ...record,
    returned_total: money(new Big(record.returned_total).plus(created.total_amount)),
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
    returns: [...record.returns, created],
  })
}
