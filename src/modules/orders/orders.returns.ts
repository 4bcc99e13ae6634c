/**
 * Returns of a fulfilled or completed order: part of a line's quantity (in its unit), never more
 * than was ordered less what came back already, refunded exactly (the last return of a line refunds
 * what is left of it). BEGIN, the order locked and read whole, ONE statement writing the return,
 * its lines, the lines' returned amounts, the refund, the history row, the stock back with its
 * ledger rows and the rollups of the return's quarter hour reduced, COMMIT — 4 statements.
 */
import { Big, decimalString, money, readDecimal } from '../../infra/decimal.ts'
import { conflict, invalid, notFound } from '../../infra/errors.ts'
import type { IdempotentWriter, Replayable, WriteOptions } from '../../infra/idempotency/idempotency.ts'
import { idempotencyScopeOf, type Principal, requireLocation } from '../access/index.ts'
import { namesForMessage, refundFor, withFields } from '../catalog/index.ts'
import { returnedBaseUnits } from '../sales/index.ts'
import { CART_QUANTITY_LIMITS } from './orders.carts.ts'
import * as repo from './orders.lifecycle.repository.ts'
import type { OrderLineRecord, OrderReturnRecord } from './orders.records.ts'
import { notAllowed, RETURNABLE } from './orders.rules.ts'
import { actorOf, type OrderReturn, orderNotFound, type StaffOrder, scopeOf, toOrderReturn, toStaffOrder } from './orders.staff-orders.ts'

export interface OrderReturnInput {
  lines: { lineId: number; quantity: string | number }[]
  /** where the goods come back; default: the order's location */
  locationId?: number | undefined
  reason?: string | undefined
}

export interface OrderReturnResult {
  return: OrderReturn
  order: StaffOrder
}

/** What the request asks back of one order line: every request line naming it, summed. */
interface Requested {
  quantity: Big
  /** the first request line naming it: `lines[0]` */
  path: string
}

interface ReturnedLine {
  line: OrderLineRecord
  quantity: Big
  baseQuantity: Big
  refund: { net: Big; tax: Big; total: Big }
}

const ZERO = new Big(0)
const lineName = (path: string, lineId: number) => `${path} (order line ${lineId})`

function requestedLines(input: OrderReturnInput): Map<number, Requested> {
  if (input.lines.length === 0) throw invalid('ORDERS_RETURN_EMPTY', 'A return needs at least one line.', { field: '/lines' })
  const requested = new Map<number, Requested>()
  input.lines.forEach((l, i) => {
    const path = `lines[${i}]`
    const quantity = readDecimal(l.quantity, `${path}.quantity`, CART_QUANTITY_LIMITS, 'ORDERS_INVALID_QUANTITY')
    const earlier = requested.get(l.lineId)
    requested.set(l.lineId, { quantity: earlier ? earlier.quantity.plus(quantity) : quantity, path: earlier?.path ?? path })
  })
  return requested
}

/** The requested lines with their refunds; unknown lines and more than is left to return are refused, naming each. */
function returnedLines(record: repo.LockedOrderRecord, requested: ReadonlyMap<number, Requested>): ReturnedLine[] {
  const byId = new Map(record.lines.map((l) => [l.id, l]))
  const unknown = [...requested].flatMap(([lineId, r]) => (byId.has(lineId) ? [] : [{ path: r.path, lineId }]))
  if (unknown.length > 0) {
    throw invalid('ORDERS_LINE_NOT_FOUND', `Order ${record.id} has no such line: ${namesForMessage(unknown.map((u) => lineName(u.path, u.lineId)))}.`, {
      lines: withFields(unknown),
    })
  }
  const tooMany = [...requested].flatMap(([lineId, r]) => {
    const line = byId.get(lineId)!
    const left = new Big(line.quantity).minus(line.returned_quantity)
    return r.quantity.gt(left) ? [{ path: r.path, lineId, requested: decimalString(r.quantity), returnable: decimalString(left) }] : []
  })
  if (tooMany.length > 0) {
    const named = tooMany.map((t) => `${lineName(t.path, t.lineId)}: asked ${t.requested}, returnable ${t.returnable}`)
    throw invalid('ORDERS_RETURN_EXCEEDS_ORDERED', `Cannot return more than was ordered: ${namesForMessage(named)}.`, {
      lines: withFields(tooMany),
    })
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

function newReturnRecord(record: repo.LockedOrderRecord, returned: readonly ReturnedLine[], locationId: number, input: OrderReturnInput, principal: Principal): OrderReturnRecord {
  const sum = (pick: (r: ReturnedLine) => Big) => returned.reduce((t, r) => t.plus(pick(r)), ZERO)
  const net = sum((r) => r.refund.net)
  const tax = sum((r) => r.refund.tax)
  return {
    id: record.return_id!,
    location_id: locationId,
    reason: input.reason ?? null,
    net_amount: money(net),
    tax_amount: money(tax),
    total_amount: money(net.plus(tax)),
    token_id: principal.tokenId,
    created_at: record.now,
    lines: returned.map((r) => ({
      order_line_id: r.line.id,
      product_id: r.line.product_id,
      quantity: decimalString(r.quantity),
      base_quantity: decimalString(r.baseQuantity),
      net_amount: money(r.refund.net),
      tax_amount: money(r.refund.tax),
      total_amount: money(r.refund.total),
    })),
  }
}

/** The order after the return: its lines' returned amounts, its refund, its returns and history. */
function orderAfter(record: repo.LockedOrderRecord, returned: readonly ReturnedLine[], created: OrderReturnRecord, event: repo.NewOrderEvent): StaffOrder {
  const changed = new Map(returned.map((r) => [r.line.id, r]))
  return toStaffOrder({
    ...record,
    refunded_total: money(new Big(record.refunded_total).plus(created.total_amount)),
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
    history: [...record.history, { at: record.now, kind: event.kind, from_status: event.from, to_status: event.to, actor: event.actor, detail: event.detail }],
  })
}

export function createOrderReturns(options: { writes: IdempotentWriter }) {
  const { writes } = options

  async function returnOrderItems(
    principal: Principal,
    id: number,
    input: OrderReturnInput,
    writeOptions: WriteOptions = {},
  ): Promise<Replayable<OrderReturnResult>> {
    const requested = requestedLines(input)
    if (input.locationId !== undefined) requireLocation(principal, input.locationId)
    const write = { scope: idempotencyScopeOf(principal), operation: `return order ${id}`, request: input, options: writeOptions }
    return writes.inTransaction(write, async (trx, key) => {
      const record = await repo.lockOrder(trx, id, scopeOf(principal), { locationId: input.locationId ?? null })
      if (!record) throw orderNotFound(id)
      if (!RETURNABLE.includes(record.status)) throw notAllowed(id, 'return', record.status)
      if (!record.return_location_exists) {
        throw notFound('ORDERS_LOCATION_NOT_FOUND', `No location ${input.locationId}.`, { field: '/locationId' })
      }
      const returned = returnedLines(record, requested)
      const locationId = input.locationId ?? record.location_id
      const created = newReturnRecord(record, returned, locationId, input, principal)
      const refunded = new Big(record.refunded_total).plus(created.total_amount)
      if (refunded.gt(record.paid_total)) {
        throw conflict(
          'ORDERS_REFUND_EXCEEDS_PAID',
          `This return refunds ${created.total_amount}; order ${id} has ${money(new Big(record.paid_total).minus(record.refunded_total))} left to refund.`,
          { refund: created.total_amount, paidTotal: money(record.paid_total), refundedTotal: money(record.refunded_total) },
        )
      }
      const event: repo.NewOrderEvent = {
        kind: 'returned',
        from: record.status,
        to: record.status,
        actor: actorOf(principal),
        detail: { returnId: created.id, locationId, total: created.total_amount, reason: created.reason },
      }
      const result: OrderReturnResult = { return: toOrderReturn(created), order: orderAfter(record, returned, created, event) }
      await repo.insertOrderReturn(trx, {
        id: created.id,
        orderId: id,
        locationId,
        reason: created.reason,
        netAmount: created.net_amount,
        taxAmount: created.tax_amount,
        totalAmount: created.total_amount,
        tokenId: principal.tokenId,
        lines: created.lines,
        at: record.now,
        event,
        storeResponse: key?.storeInStatement(result) ?? null,
      })
      return result
    })
  }

  return { returnOrderItems }
}
