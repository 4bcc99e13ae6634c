/**
 * Orders as the statements read them back: the record type, and the SQL that builds an order with
 * its lines and returns as JSON in the statement that reads it; and the order as the API shows it.
 */
import { sql } from 'kysely'
import { jsonObjectOf, type RowOf } from '../../infra/db/columns.ts'
import { type NewOrderReturnLine, ORDER_LINE_VALUES, ORDER_RETURN_LINE_VALUES, type OnlineOrderRow } from './orders.tables.ts'

const LINE_READ = {
  id: 'bigint',
  ...ORDER_LINE_VALUES,
  returned_quantity: 'numeric',
  returned_net: 'numeric',
  returned_tax: 'numeric',
} as const

const RETURN_READ = {
  id: 'bigint',
  location_id: 'bigint',
  reason: 'text null',
  net_amount: 'numeric',
  tax_amount: 'numeric',
  total_amount: 'numeric',
  token_id: 'bigint null',
  created_at: 'timestamptz',
} as const

export type OrderLineRecord = RowOf<typeof LINE_READ>
export interface OrderReturnRecord extends Omit<RowOf<typeof RETURN_READ>, 'created_at'> {
  created_at: Date | string
  lines: NewOrderReturnLine[]
}

export interface OrderRecord extends Omit<OnlineOrderRow, 'access_token_hash'> {
  lines: OrderLineRecord[]
  returns: OrderReturnRecord[]
}

/** The order `o`'s columns (all but its access token's hash), with its lines and returns as JSON arrays. */
export const orderColumns = sql`
  o.id, o.source, o.external_ref, o.customer_id, o.email, o.status, o.location_id, o.shipping_method_id,
  o.shipping_method_name, o.shipping_address, o.shipping_country, o.subtotal, o.tax_total, o.shipping_total, o.total,
  o.line_count, o.payment_provider, o.payment_reference, o.paid_total, o.refunded_total, o.tracking_reference,
  o.created_at, o.updated_at, o.paid_at, o.fulfilled_at, o.completed_at, o.cancelled_at,
  coalesce((
    select json_agg(${jsonObjectOf(LINE_READ, 'l')} order by l.position)
    from online_order_line l where l.order_id = o.id), '[]') as lines,
  coalesce((
    select json_agg(${jsonObjectOf(RETURN_READ, 'r')}::jsonb || jsonb_build_object('lines', coalesce((
        select jsonb_agg(${jsonObjectOf(ORDER_RETURN_LINE_VALUES, 'rl')} order by rl.order_line_id)
        from online_order_return_line rl where rl.return_id = r.id), '[]')) order by r.id)
    from online_order_return r where r.order_id = o.id), '[]') as returns`
