/**
 * The statements of checkout: the cart read with everything placing needs (its lines, the shipping
 * rate, the ids the order will have), and the order placed in ONE statement.
 */
import { type RawBuilder, sql } from 'kysely'
import { unnestRows } from '../../infra/db/columns.ts'
import type { Executor } from '../../infra/db/database.ts'
import { abortStatement } from '../../infra/db/statement-abort.ts'
import { type CatalogCheck, changedCatalogLinesCte } from '../catalog/index.ts'
import { refuseShortStock, STOCK_CTE, stockMovementCtes } from '../inventory/index.ts'
import { salesRollupCtes } from '../reporting/index.ts'
import type { CartOwner } from './orders.repository.ts'
import { type NewOrderLine, ORDER_LINE_VALUES, type OrderStatus } from './orders.tables.ts'

export interface CheckoutCart {
  id: number
  /** updated_at in microseconds: every cart write moves it, so the order is placed only from the cart as read */
  version: number
  lines: { id: number; product_id: number; unit: string; quantity: string }[]
  /** the shipping method asked for, priced for the country; null when it does not serve it (or is inactive) */
  shipping: { id: number; name: string; price: string; free_over: string | null } | null
  /** ids the order and its lines will have, taken now so the response is whole before the write */
  order_id: number
  line_ids: number[]
  /** the moment the order counts for */
  at: Date
}

/**
 * A live cart with its lines, the shipping rate of `methodCode` for `country` (its own, else '*'),
 * and the order's ids from their sequences: one statement. Undefined when there is no live cart.
 */
export async function findCheckoutCart(
  db: Executor,
  owner: CartOwner,
  shipping: { methodCode: string; country: string },
): Promise<CheckoutCart | undefined> {
  const whose = 'tokenHash' in owner ? sql`c.token_hash = ${owner.tokenHash}` : sql`c.customer_id = ${owner.customerId}`
  const { rows } = await sql<CheckoutCart>`/* prepared */
    select c.id, (extract(epoch from c.updated_at) * 1000000)::bigint as version, clock_timestamp() as at,
      coalesce((
        select json_agg(json_build_object('id', l.id, 'product_id', l.product_id, 'unit', l.unit, 'quantity', l.quantity::text)
          order by l.id)
        from cart_line l where l.cart_id = c.id), '[]') as lines,
      (
        select json_build_object('id', m.id, 'name', m.name, 'price', r.price::text, 'free_over', r.free_over::text)
        from shipping_method m
        join lateral (
          select price, free_over from shipping_rate
          where shipping_method_id = m.id and country in (${shipping.country}, '*')
          order by country = '*' limit 1
        ) r on true
        where m.code = ${shipping.methodCode} and m.active
      ) as shipping,
      nextval(pg_get_serial_sequence('online_order', 'id')) as order_id,
      coalesce((
        select array_agg(nextval(pg_get_serial_sequence('online_order_line', 'id')))
        from cart_line l where l.cart_id = c.id), '{}') as line_ids
    from cart c
    where ${whose} and c.expires_at > now()`.execute(db)
  return rows[0]
}

export interface NewOrder {
  id: number
  at: Date
  /** the cart it empties, as it was read: a cart changed since is not placed */
  cart: { id: number; version: number }
  customerId: number | null
  email: string
  /** the cart token's hash, by which a guest reads the order; null for a customer's */
  accessTokenHash: string | null
  status: OrderStatus
  shippingMethod: { id: number; name: string }
  shippingAddress: unknown
  shippingCountry: string
  subtotal: string
  taxTotal: string
  shippingTotal: string
  total: string
  /** subtotal + tax: what the sales rollups count (shipping is not a product sale) */
  goodsTotal: string
  paymentProvider: string
  paymentReference: string | null
  paidTotal: string
  lines: readonly (NewOrderLine & { id: number })[]
  /** the catalog prices the lines were priced with, to check before writing */
  catalog: readonly CatalogCheck[]
  /** 'customer:<id>' or 'guest' */
  actor: string
}

export type PlaceResult =
  | { placed: true; locationId: number }
  | { placed: false; why: 'stale' | 'cart_changed' | 'no_online_location' | 'key_taken' }

/** The fulfilling location, as SQL of the placing statement: for the response its key claim stores. */
export const FULFILLING_LOCATION = sql<number>`(select id from fulfiller)`

/** What the placing statement's claim of an Idempotency-Key waits for: a fresh catalog and a location. */
export const READY_TO_PLACE = sql<boolean>`not exists (select 1 from stale) and exists (select 1 from fulfiller)`


/**
 * Places the order in ONE statement: the order, its lines, its history, the stock taken from the
 * first location selling online (by online_priority) that holds every line — else the first one,
 * which then refuses what it lacks — with its ledger rows, the rollups (channel 'online'), the cart
 * emptied and, given `claim` (the idempotency infra's CTE gated on READY_TO_PLACE), the key claimed
 * with its response. Writes nothing when a line was priced from catalog values that changed since
 * ('stale'), when the cart changed since it was read ('cart_changed'), when no location sells
 * online, or when the key is held ('key_taken'); a shortage aborts it (inventory's shortStockOf
 * reads the error), and so does a key claimed for a cart that changed meanwhile (isStatementAbort).
 */
export async function insertOrder(db: Executor, order: NewOrder, claim: RawBuilder<unknown> | null): Promise<PlaceResult> {
  const lineIds = order.lines.map((l) => l.id)
  const { rows } = await sql<{ stale: number; fulfillers: number; claimed: number; cart_taken: number; location_id: number | null }>`/* prepared */
    with input as (
      -- the lines, sent as one array per column
      select * from ${unnestRows(ORDER_LINE_VALUES, order.lines, { alias: 't' })}
    ), ${changedCatalogLinesCte('stale', 'input', order.catalog)}, need as (
      select product_id, sum(base_quantity) as quantity from input group by product_id
    ), fulfiller as (
      -- the first location selling online that holds every line; else the first, which refuses the shortfall
      select l.id from location l
      where l.sells_online
      -- each line's stock row looked up by its key: a join here would read every stock row of the location
      order by (l.allow_negative_stock or not exists (
          select 1 from need n
          where coalesce((select s.quantity from stock_level s where s.location_id = l.id and s.product_id = n.product_id), 0) < n.quantity
        )) desc,
        l.online_priority, l.id
      limit 1
    ), ${claim ?? sql`claim as (select 1 where ${READY_TO_PLACE})`}, cart_taken as (
      -- the cart, only as it was read: a concurrent change or a second placement of it finds nothing here
      delete from cart where id = ${order.cart.id} and (extract(epoch from updated_at) * 1000000)::bigint = ${order.cart.version}
        and exists (select 1 from claim)
      returning id
    ), ord as (
      insert into online_order (id, customer_id, email, access_token_hash, status, location_id, shipping_method_id,
        shipping_method_name, shipping_address, shipping_country, subtotal, tax_total, shipping_total, total, line_count,
        payment_provider, payment_reference, paid_total, created_at, updated_at, paid_at)
      overriding system value
      select ${order.id}::bigint, ${order.customerId}::bigint, ${order.email}, ${order.accessTokenHash}, ${order.status}, f.id,
        ${order.shippingMethod.id}::bigint, ${order.shippingMethod.name}, ${JSON.stringify(order.shippingAddress)}::jsonb,
        ${order.shippingCountry}, ${order.subtotal}::numeric, ${order.taxTotal}::numeric, ${order.shippingTotal}::numeric,
        ${order.total}::numeric, ${order.lines.length}::bigint, ${order.paymentProvider}, ${order.paymentReference},
        ${order.paidTotal}::numeric, ${order.at}::timestamptz, ${order.at}::timestamptz,
        ${order.status === 'paid' ? sql`${order.at}::timestamptz` : sql`null`}
      from fulfiller f where exists (select 1 from cart_taken)
      returning id, location_id
    ), new_lines as (
      insert into online_order_line (id, order_id, ${sql.raw(Object.keys(ORDER_LINE_VALUES).join(', '))})
      overriding system value
      select ids.id, ord.id, t.*
      from ord cross join input t
      join unnest(${lineIds}::bigint[]) with ordinality as ids(id, n) on ids.n = t.position + 1
      order by t.position
    ), events as (
      -- the history: placed, and paid at once when the provider took the money
      insert into online_order_event (order_id, at, kind, from_status, to_status, actor, detail)
      select ord.id, ${order.at}::timestamptz, e.kind, e.from_status, e.to_status, ${order.actor},
        jsonb_build_object('paymentProvider', ${order.paymentProvider}::text)
      from ord cross join (values ('placed', null, 'placed', 1), ('paid', 'placed', 'paid', 2)) as e(kind, from_status, to_status, n)
      where e.n = 1 or ${order.status === 'paid'}
      order by e.n
    ), ${stockMovementCtes(
      sql`select ord.location_id, t.product_id, -t.base_quantity, 'sale'::text from ord cross join input t`,
      { reference: `online_order:${order.id}`, tokenId: null },
    )}, ${salesRollupCtes(
      {
        locationId: sql<number>`select location_id from ord`,
        channel: 'online',
        at: sql<Date>`${order.at}::timestamptz`,
        invoiceId: order.id,
        invoices: 1,
        returns: 0,
        netAmount: order.subtotal,
        taxAmount: order.taxTotal,
        totalAmount: order.goodsTotal,
        discountAmount: '0',
        products: sql`select product_id, base_quantity, net_amount, tax_amount, total_amount from input`,
      },
      { when: sql<boolean>`exists (select 1 from ord)`, after: STOCK_CTE.applied },
    )}
    select (select count(*) from stale)::integer as stale, (select count(*) from fulfiller)::integer as fulfillers,
      (select count(*) from claim)::integer as claimed, (select count(*) from cart_taken)::integer as cart_taken,
      -- a key claimed for a cart that changed meanwhile: undone, so no response is stored for an order never placed
      case when (select count(*) from claim) > (select count(*) from cart_taken) then ${abortStatement('cart changed')} else true end
        as claim_ok,
      (select location_id from ord) as location_id, ${refuseShortStock} as stock_ok`.execute(db)
  const row = rows[0]!
  if (row.stale > 0) return { placed: false, why: 'stale' }
  if (row.fulfillers === 0) return { placed: false, why: 'no_online_location' }
  if (row.claimed === 0) return { placed: false, why: 'key_taken' }
  if (row.cart_taken === 0 || row.location_id === null) return { placed: false, why: 'cart_changed' }
  return { placed: true, locationId: row.location_id }
}
