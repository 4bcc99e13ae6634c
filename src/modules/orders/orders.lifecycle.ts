/**
 * The order lifecycle for staff: pay, fulfil (with a tracking reference), complete, cancel. Each is
 * BEGIN, the order locked and read whole, ONE statement writing the change with its history row
 * (a cancel: its stock back and its sale out of the rollups too), COMMIT — 4 statements whatever
 * the number of lines; with an Idempotency-Key its claim makes 5.
 */
import { Big, money } from '../../infra/decimal.ts'
import { invalid } from '../../infra/errors.ts'
import type { IdempotentWriter, Replayable, WriteOptions } from '../../infra/idempotency/idempotency.ts'
import { idempotencyScopeOf, type Principal, requireRole } from '../access/index.ts'
import * as repo from './orders.lifecycle.repository.ts'
import { canChange, notAllowed, ORDER_TRANSITIONS, type OrderAction } from './orders.rules.ts'
import { actorOf, orderNotFound, type StaffOrder, scopeOf, toStaffOrder } from './orders.staff-orders.ts'

/** A cancel gives stock back and takes the sale out of the figures: a manager's decision, as for a submitted invoice. */
const CANCELLERS = ['admin', 'manager'] as const

export interface FulfilOrderInput {
  trackingReference: string
}

export interface CancelOrderInput {
  reason?: string | undefined
}

/** What a change writes beyond the new status and its moment. */
type ChangeOf = (record: repo.LockedOrderRecord) => {
  columns: Partial<Pick<repo.OrderChange, 'paidTotal' | 'refundedTotal' | 'trackingReference'>>
  detail: Record<string, unknown>
  cancel: boolean
}

const STAMPS = {
  pay: 'paid_at',
  fulfil: 'fulfilled_at',
  complete: 'completed_at',
  cancel: 'cancelled_at',
} as const satisfies Record<OrderAction, repo.OrderChange['stamp']>

const KINDS = { pay: 'paid', fulfil: 'fulfilled', complete: 'completed', cancel: 'cancelled' } as const satisfies Record<OrderAction, string>

export function createOrderLifecycle(options: { writes: IdempotentWriter }) {
  const { writes } = options

  async function change(
    principal: Principal,
    id: number,
    action: OrderAction,
    request: object,
    what: ChangeOf,
    writeOptions: WriteOptions,
  ): Promise<Replayable<StaffOrder>> {
    const write = { scope: idempotencyScopeOf(principal), operation: `${action} order ${id}`, request, options: writeOptions }
    return writes.inTransaction(write, async (trx, key) => {
      const record = await repo.lockOrder(trx, id, scopeOf(principal))
      if (!record) throw orderNotFound(id)
      if (!canChange(action, record.status)) throw notAllowed(id, action, record.status)
      const to = ORDER_TRANSITIONS[action].to
      const { columns, detail, cancel } = what(record)
      const at = record.now
      const event: repo.NewOrderEvent = { kind: KINDS[action], from: record.status, to, actor: actorOf(principal), detail }
      const stamp = STAMPS[action]
      const after = toStaffOrder({
        ...record,
        status: to,
        updated_at: at,
        [stamp]: at,
        paid_total: columns.paidTotal ?? record.paid_total,
        refunded_total: columns.refundedTotal ?? record.refunded_total,
        tracking_reference: columns.trackingReference ?? record.tracking_reference,
        history: [...record.history, { at, kind: event.kind, from_status: event.from, to_status: to, actor: event.actor, detail }],
      })
      await repo.changeOrder(trx, {
        orderId: id,
        at,
        status: to,
        ...columns,
        stamp,
        event,
        storeResponse: key?.storeInStatement(after) ?? null,
        cancel: cancel
          ? {
              locationId: record.location_id,
              createdAt: new Date(record.created_at),
              subtotal: money(record.subtotal),
              taxTotal: money(record.tax_total),
              goodsTotal: money(new Big(record.subtotal).plus(record.tax_total)),
              tokenId: principal.tokenId,
            }
          : null,
      })
      return after
    })
  }

  /** Records that the shopper paid an order placed unpaid (a transfer, cash on delivery): the whole total. */
  const payOrder = (principal: Principal, id: number, writeOptions: WriteOptions = {}) =>
    change(principal, id, 'pay', {}, (r) => ({ columns: { paidTotal: money(r.total) }, detail: { paidTotal: money(r.total) }, cancel: false }), writeOptions)

  function fulfilOrder(principal: Principal, id: number, input: FulfilOrderInput, writeOptions: WriteOptions = {}) {
    const trackingReference = input.trackingReference.trim()
    if (trackingReference === '') {
      throw invalid('ORDERS_TRACKING_REFERENCE_REQUIRED', 'A fulfilled order needs its tracking reference.', { field: '/trackingReference' })
    }
    const columns = { trackingReference }
    return change(principal, id, 'fulfil', input, () => ({ columns, detail: columns, cancel: false }), writeOptions)
  }

  const completeOrder = (principal: Principal, id: number, writeOptions: WriteOptions = {}) =>
    change(principal, id, 'complete', {}, () => ({ columns: {}, detail: {}, cancel: false }), writeOptions)

  /** The stock comes back to the order's location; a paid order is refunded in full. */
  function cancelOrder(principal: Principal, id: number, input: CancelOrderInput = {}, writeOptions: WriteOptions = {}) {
    requireRole(principal, CANCELLERS)
    return change(
      principal,
      id,
      'cancel',
      input,
      (r) => ({
        columns: { refundedTotal: money(r.paid_total) },
        detail: { reason: input.reason ?? null, refundedTotal: money(r.paid_total) },
        cancel: true,
      }),
      writeOptions,
    )
  }

  return { payOrder, fulfilOrder, completeOrder, cancelOrder }
}
