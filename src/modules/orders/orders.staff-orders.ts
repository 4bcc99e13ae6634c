/**
 * Orders as staff read them: the orders of the locations their token covers, with returns and
 * history. An order outside them is the same 404 as one that does not exist.
 */
import type { Static } from 'typebox'
import type { Db } from '../../infra/db/database.ts'
import { Big, decimalString, money } from '../../infra/decimal.ts'
import { invalid, notFound } from '../../infra/errors.ts'
import { type Principal, requireLocation } from '../access/index.ts'
import * as lifecycleRepo from './orders.lifecycle.repository.ts'
import { toOrder } from './orders.mapping.ts'
import * as repo from './orders.read.repository.ts'
import type { OrderReturnRecord } from './orders.records.ts'
import type {
  ListStaffOrdersQuery,
  OrderEvent as OrderEventSchema,
  OrderList,
  OrderReturn as OrderReturnSchema,
  StaffOrder as StaffOrderSchema,
} from './orders.schemas.ts'

export type StaffOrder = Static<typeof StaffOrderSchema>
export type OrderReturn = Static<typeof OrderReturnSchema>
export type OrderEvent = Static<typeof OrderEventSchema>
export type StaffOrderPage = Static<typeof OrderList>

export const orderNotFound = (id: number) => notFound('ORDERS_ORDER_NOT_FOUND', `No order ${id}.`, { id })

/** The locations whose orders the principal sees; undefined: every one. */
export const scopeOf = (principal: Principal): lifecycleRepo.LocationScope => principal.locationIds ?? undefined

/** Who changed an order, as its history names them. */
export const actorOf = (principal: Principal) => (principal.tokenId === null ? 'system' : `token:${principal.tokenId}`)

const exact = (value: string) => decimalString(new Big(value))

export function toOrderReturn(r: OrderReturnRecord): OrderReturn {
  return {
    id: r.id,
    locationId: r.location_id,
    reason: r.reason,
    lines: r.lines.map((l) => ({
      lineId: l.order_line_id,
      productId: l.product_id,
      quantity: exact(l.quantity),
      baseQuantity: exact(l.base_quantity),
      netAmount: money(l.net_amount),
      taxAmount: money(l.tax_amount),
      total: money(l.total_amount),
    })),
    netAmount: money(r.net_amount),
    taxAmount: money(r.tax_amount),
    total: money(r.total_amount),
    createdAt: new Date(r.created_at).toISOString(),
  }
}

export function toOrderEvent(e: lifecycleRepo.OrderEventRecord): OrderEvent {
  return { at: new Date(e.at).toISOString(), kind: e.kind, from: e.from_status, to: e.to_status, actor: e.actor, detail: e.detail }
}

export function toStaffOrder(record: lifecycleRepo.OrderWithHistory): StaffOrder {
  return { ...toOrder(record), returns: record.returns.map(toOrderReturn), history: record.history.map(toOrderEvent) }
}

function dateOf(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined
  const parsed = new Date(value)
  if (Number.isNaN(parsed.getTime())) throw invalid('ORDERS_INVALID_DATE', `${field} is not a date or timestamp.`, { field: `/${field}` })
  return parsed
}

export function createStaffOrders(db: Db) {
  /** From the primary: staff read an order right after changing it. */
  async function getStaffOrder(principal: Principal, id: number): Promise<StaffOrder> {
    const record = await lifecycleRepo.findOrderWithHistory(db.primary, id, scopeOf(principal))
    if (!record) throw orderNotFound(id)
    return toStaffOrder(record)
  }

  /** A page of the orders of the caller's locations (or the one asked for), newest first: one statement. */
  async function listStaffOrders(principal: Principal, query: Static<typeof ListStaffOrdersQuery>): Promise<StaffOrderPage> {
    if (query.locationId !== undefined) requireLocation(principal, query.locationId)
    const locationIds = query.locationId === undefined ? scopeOf(principal) : [query.locationId]
    const limit = query.limit ?? 50
    const records = await repo.listOrders(
      db.primary,
      { locationIds },
      { status: query.status, from: dateOf(query.from, 'from'), to: dateOf(query.to, 'to'), before: query.before, limit },
    )
    return { items: records.map(toOrder), nextBefore: records.length === limit ? records[records.length - 1]!.id : null }
  }

  return { getStaffOrder, listStaffOrders }
}
