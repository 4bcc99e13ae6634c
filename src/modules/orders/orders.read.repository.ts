/** Reading orders: one statement for an order with its lines and returns, one for a page of them. */
import { type RawBuilder, sql } from 'kysely'
import type { Executor } from '../../infra/db/database.ts'
import { type OrderRecord, orderColumns } from './orders.records.ts'
import type { OrderStatus } from './orders.tables.ts'

/** Whose order may be read: a customer's own, a guest's by the token of the cart it came from, or staff's by location. */
export type OrderReader = { customerId: number } | { accessTokenHash: string } | { locationIds: readonly number[] | undefined }

function readerCondition(reader: OrderReader): RawBuilder<unknown> {
  if ('customerId' in reader) return sql`o.customer_id = ${reader.customerId}`
  if ('accessTokenHash' in reader) return sql`o.access_token_hash = ${reader.accessTokenHash}`
  return reader.locationIds === undefined ? sql`true` : sql`o.location_id = any(${[...reader.locationIds]}::bigint[])`
}

/** The order, when `reader` may read it; undefined otherwise (whether or not it exists). */
export async function findOrder(db: Executor, id: number, reader: OrderReader): Promise<OrderRecord | undefined> {
  const { rows } = await sql<OrderRecord>`
    select ${orderColumns} from online_order o where o.id = ${id} and ${readerCondition(reader)}`.execute(db)
  return rows[0]
}

export interface OrderFilter {
  status?: OrderStatus | undefined
  /** created_at >= from */
  from?: Date | undefined
  /** created_at < to */
  to?: Date | undefined
  /** ids below this (pages run newest first) */
  before?: number | undefined
  limit: number
}

/** A page of the orders `reader` may read, newest first, with their lines and returns: one statement. */
export async function listOrders(db: Executor, reader: OrderReader, filter: OrderFilter): Promise<OrderRecord[]> {
  const conditions: RawBuilder<unknown>[] = [readerCondition(reader)]
  if (filter.status) conditions.push(sql`o.status = ${filter.status}`)
  if (filter.from) conditions.push(sql`o.created_at >= ${filter.from}`)
  if (filter.to) conditions.push(sql`o.created_at < ${filter.to}`)
  if (filter.before !== undefined) conditions.push(sql`o.id < ${filter.before}`)
  const { rows } = await sql<OrderRecord>`
    select ${orderColumns} from online_order o
    where ${sql.join(conditions, sql` and `)}
    order by o.id desc limit ${filter.limit}`.execute(db)
  return rows
}
