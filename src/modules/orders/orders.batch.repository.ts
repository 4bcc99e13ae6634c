/**
 * The statements of batch order processing, each taking a whole chunk of orders: a lifecycle change
 * for many orders at once, the products of an import looked up, and many marketplace orders placed
 * with their lines, history, stock, ledger and rollups.
 */
import { type RawBuilder, sql } from 'kysely'
import { type Columns, type RowOf, unnestRows } from '../../infra/db/columns.ts'
import type { Executor } from '../../infra/db/database.ts'
import { pgArray } from '../../infra/db/pg-array.ts'
import { refuseShortStock, STOCK_CTE, stockMovementCtes } from '../inventory/index.ts'
import { ROLLUP_CTE, rollupBucketOf, SALES_ROLLUP_SHARDS } from '../reporting/index.ts'
import { ORDER_TRANSITIONS } from './orders.rules.ts'
import { ORDER_LINE_VALUES, type OrderStatus } from './orders.tables.ts'

/** The batch changes: pay (placed → paid) and fulfil (paid → fulfilled). */
export type BatchAction = 'pay' | 'fulfil'

export interface TransitionItem {
  id: number
  /** fulfil: the parcel's tracking reference */
  trackingReference: string | null
}

export interface TransitionRow {
  id: number
  /** the order as this statement found it (its latest version); null: no such order */
  status: OrderStatus | null
  location_id: number | null
  changed: boolean
}

/**
 * Changes every order of `items` that the lifecycle allows (ORDER_TRANSITIONS[action].from) and
 * whose location `locationIds` allows (null: any), in ONE statement, with an event row each; the
 * others are left as they are and reported as found. Rows are locked in id order first, so two
 * batches over the same orders cannot deadlock, and the state is judged on their latest versions.
 */
export async function transitionOrders(
  db: Executor,
  change: { action: BatchAction; items: readonly TransitionItem[]; locationIds: readonly number[] | null; at: Date; actor: string; batchId: number },
): Promise<TransitionRow[]> {
  const { from, to } = ORDER_TRANSITIONS[change.action]
  const set =
    change.action === 'pay'
      ? sql`paid_total = o.total, paid_at = ${change.at}::timestamptz`
      : sql`tracking_reference = i.tracking_reference, fulfilled_at = ${change.at}::timestamptz`
  const where = change.locationIds === null ? sql`true` : sql`l.location_id = any(${pgArray(change.locationIds)}::bigint[])`
  const detail =
    change.action === 'pay'
      ? sql`jsonb_build_object('batchId', ${change.batchId}::bigint)`
      : sql`jsonb_build_object('batchId', ${change.batchId}::bigint, 'trackingReference', c.tracking_reference)`
  const { rows } = await sql<TransitionRow>`
    with input as (
      select * from unnest(${pgArray(change.items.map((i) => i.id))}::bigint[],
        ${pgArray(change.items.map((i) => i.trackingReference))}::text[]) as t(id, tracking_reference)
    ), locked as (
      select o.id, o.status, o.location_id from online_order o
      where o.id in (select id from input)
      order by o.id
      for update of o
    ), changed as (
      update online_order o set status = ${to}, updated_at = ${change.at}::timestamptz, ${set}
      from input i, locked l
      where o.id = i.id and l.id = i.id and l.status = any(${pgArray(from)}::text[]) and ${where}
      returning o.id, l.status as from_status, o.tracking_reference
    ), events as (
      insert into online_order_event (order_id, at, kind, from_status, to_status, actor, detail)
      select c.id, ${change.at}::timestamptz, ${to}, c.from_status, ${to}, ${change.actor}, ${detail}
      from changed c
      order by c.id
    )
    select i.id, l.status, l.location_id, c.id is not null as changed
    from input i
    left join locked l on l.id = i.id
    left join changed c on c.id = i.id`.execute(db)
  return rows
}

export interface ImportProduct {
  id: number
  sku: string
  name: string
  base_unit: string
  price: string
  tax_rate: string
  active: boolean
  /** unit → base units in one; the base unit included */
  factors: Record<string, string>
}

/**
 * The products of `skus` with their units, and the location's stock policy (undefined: no such
 * location): ONE statement for a chunk of an import.
 */
export async function findImportProducts(
  db: Executor,
  skus: readonly string[],
  locationId: number,
): Promise<{ products: ImportProduct[]; location: { allow_negative_stock: boolean } | undefined }> {
  const { rows } = await sql<{ products: ImportProduct[]; location: { allow_negative_stock: boolean } | null }>`
    select coalesce((
        select json_agg(json_build_object('id', p.id, 'sku', p.sku, 'name', p.name, 'base_unit', p.base_unit,
          'price', p.price::text, 'tax_rate', p.tax_rate::text, 'active', p.active,
          'factors', (
            select jsonb_object_agg(u.unit_code, u.factor::text)
            from (select pu.unit_code, pu.factor from product_unit pu where pu.product_id = p.id
                  union all select p.base_unit, 1) u
          )))
        from product p where p.sku = any(${pgArray(skus)}::text[])
      ), '[]') as products,
      (select json_build_object('allow_negative_stock', l.allow_negative_stock) from location l where l.id = ${locationId}) as location`.execute(db)
  const row = rows[0]!
  return { products: row.products, location: row.location ?? undefined }
}

/** An imported order's values (one array per column); `n` numbers the orders of the chunk. */
export const IMPORT_ORDER_VALUES = {
  n: 'bigint',
  external_ref: 'text',
  email: 'text',
  shipping_address: 'text',
  shipping_country: 'text',
  status: 'text',
  subtotal: 'numeric',
  tax_total: 'numeric',
  shipping_total: 'numeric',
  total: 'numeric',
  paid_total: 'numeric',
  line_count: 'bigint',
} as const satisfies Columns

/** shipping_address is JSON text */
export type ImportOrder = RowOf<typeof IMPORT_ORDER_VALUES>

const IMPORT_LINE_VALUES = { n: 'bigint', ...ORDER_LINE_VALUES } as const
export type ImportLine = RowOf<typeof IMPORT_LINE_VALUES>

export interface ImportResult {
  /** the orders written: n → id */
  placed: { n: number; id: number }[]
  /** orders whose (source, external_ref) was already there */
  duplicates: number[]
  /** orders refused for stock: the products the location could not cover, as the statement saw them */
  short: { n: number; lines: { productId: number; requested: string; available: string }[] }[]
}

const ORDER_IN = sql.raw('import_orders')

/**
 * Places a chunk of marketplace orders in ONE statement. Stock is allocated in SQL: an order is
 * accepted only if, for each of its products, its own demand and that of the accepted-so-far
 * candidates before it (in `n` order) stay within the location's stock — conservative, never
 * overselling; orders that could not be covered even alone are left out of that running sum. The
 * accepted orders are inserted (a (source, external_ref) already there is skipped by ON CONFLICT),
 * with lines, history, the stock taken with its ledger, and the rollups (channel 'online') grouped
 * per product and per shard. Locks follow every sales statement's order: stock rows, product rollup
 * rows in product order, shard rows in shard order. A till sale between the snapshot and the stock
 * upsert makes the stock guard refuse the whole statement (inventory's shortStockOf reads it).
 */
export async function insertImportedOrders(
  db: Executor,
  chunk: {
    source: string
    paymentProvider: string
    locationId: number
    allowNegativeStock: boolean
    orders: readonly ImportOrder[]
    lines: readonly ImportLine[]
    at: Date
    actor: string
    batchId: number
  },
): Promise<ImportResult> {
  const at = sql<Date>`${chunk.at}::timestamptz`
  const loc = sql`${chunk.locationId}::bigint`
  const bucket = rollupBucketOf(at)
  const { rows } = await sql<ImportResult & { stock_ok: boolean }>`
    with ${ORDER_IN} as (
      select * from ${unnestRows(IMPORT_ORDER_VALUES, chunk.orders, { alias: 't' })}
    ), import_lines as (
      select * from ${unnestRows(IMPORT_LINE_VALUES, chunk.lines, { alias: 't' })}
    ), existing as (
      select i.n from ${ORDER_IN} i
      where exists (select 1 from online_order o where o.source = ${chunk.source} and o.external_ref = i.external_ref)
    ), demand as (
      select l.n, l.product_id, sum(l.base_quantity) as quantity
      from import_lines l where l.n not in (select n from existing)
      group by l.n, l.product_id
    ), level as (
      select d.product_id, coalesce(max(s.quantity), 0) as available
      from demand d left join stock_level s on s.location_id = ${loc} and s.product_id = d.product_id
      group by d.product_id
    ), alone as (
      -- orders the stock covers on their own: only these take part in the running sums
      select d.n from demand d join level v using (product_id)
      group by d.n having bool_and(d.quantity <= v.available) or ${chunk.allowNegativeStock}::boolean
    ), running as (
      select d.n, d.product_id, sum(d.quantity) over (partition by d.product_id order by d.n) as upto, v.available
      from demand d join level v using (product_id)
      where d.n in (select n from alone)
    ), accepted as (
      select n from running group by n having bool_and(upto <= available) or ${chunk.allowNegativeStock}::boolean
    ), ord as (
      insert into online_order (source, external_ref, email, status, location_id, shipping_address, shipping_country,
        subtotal, tax_total, shipping_total, total, line_count, payment_provider, paid_total, created_at, updated_at, paid_at)
      select ${chunk.source}, i.external_ref, i.email, i.status, ${loc}, i.shipping_address::jsonb, i.shipping_country,
        i.subtotal, i.tax_total, i.shipping_total, i.total, i.line_count, ${chunk.paymentProvider}, i.paid_total, ${at}, ${at},
        case when i.status = 'paid' then ${at} end
      from ${ORDER_IN} i where i.n in (select n from accepted)
      order by i.n
      on conflict (source, external_ref) where external_ref is not null do nothing
      returning id, external_ref
    ), placed as (
      select i.n, o.id, i.subtotal, i.tax_total, i.status from ord o join ${ORDER_IN} i on i.external_ref = o.external_ref
    ), new_lines as (
      insert into online_order_line (order_id, ${sql.raw(Object.keys(ORDER_LINE_VALUES).join(', '))})
      select p.id, ${sql.raw(Object.keys(ORDER_LINE_VALUES).map((c) => `l.${c}`).join(', '))}
      from placed p join import_lines l on l.n = p.n
      order by p.id, l.position
    ), events as (
      insert into online_order_event (order_id, at, kind, from_status, to_status, actor, detail)
      select p.id, ${at}, e.kind, e.from_status, e.to_status, ${chunk.actor},
        jsonb_build_object('batchId', ${chunk.batchId}::bigint, 'source', ${chunk.source}::text)
      from placed p
      cross join (values ('imported', null, 'placed', 1), ('paid', 'placed', 'paid', 2)) as e(kind, from_status, to_status, k)
      where e.k = 1 or p.status = 'paid'
      order by p.id, e.k
    ), ${stockMovementCtes(sql`select ${loc}, l.product_id, -l.base_quantity, 'sale'::text from placed p join import_lines l on l.n = p.n`, {
      reference: `batch:${chunk.batchId}`,
      tokenId: null,
    })}, ${importRollupCtes(loc, bucket)}
    select
      coalesce((select json_agg(json_build_object('n', n, 'id', id) order by n) from placed), '[]') as placed,
      coalesce((select json_agg(n order by n) from existing), '[]') as duplicates,
      coalesce((
        select json_agg(json_build_object('n', s.n, 'lines', s.lines) order by s.n)
        from (
          select d.n, json_agg(json_build_object('productId', d.product_id, 'requested', d.quantity::text,
            'available', v.available::text) order by d.product_id) as lines
          from demand d join level v using (product_id)
          where d.n not in (select n from accepted)
          group by d.n
        ) s), '[]') as short,
      ${refuseShortStock} as stock_ok`.execute(db)
  const row = rows[0]!
  return { placed: row.placed, duplicates: row.duplicates, short: row.short }
}

/**
 * The rollups of the placed orders (CTE `placed`, lines in `import_lines`), per product and per
 * shard — salesRollupCtes writes one sale's shard, these orders fall in many. Same rows, same lock
 * order: after the stock, products in product order, then shards in shard order.
 */
function importRollupCtes(location: RawBuilder<unknown>, bucket: RawBuilder<unknown>): RawBuilder<unknown> {
  const products = sql.raw(ROLLUP_CTE.products)
  return sql`${products} as (
      insert into sales_rollup_product_hour as r (location_id, bucket, channel, product_id, quantity, net_amount, tax_amount,
        total_amount)
      select ${location}, ${bucket}, 'online', l.product_id, sum(l.base_quantity), sum(l.net_amount), sum(l.tax_amount),
        sum(l.total_amount)
      from placed p join import_lines l on l.n = p.n
      cross join (select count(*) from ${sql.raw(STOCK_CTE.applied)}) as stock_first
      group by l.product_id
      order by l.product_id
      on conflict (location_id, bucket, channel, product_id) do update
        set quantity = r.quantity + excluded.quantity, net_amount = r.net_amount + excluded.net_amount,
          tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount
      returning r.product_id
    ), ${sql.raw(ROLLUP_CTE.location)} as (
      insert into sales_rollup_hour as r (location_id, bucket, channel, shard, invoices, returns, net_amount, tax_amount,
        total_amount, discount_amount)
      select ${location}, ${bucket}, 'online', p.shard, count(*), 0, sum(p.subtotal), sum(p.tax_total),
        sum(p.subtotal + p.tax_total), 0
      from (select id % ${sql.lit(SALES_ROLLUP_SHARDS)} as shard, subtotal, tax_total from placed) p
      cross join (select count(*) from ${products}) as products_first
      group by p.shard
      order by p.shard
      on conflict (location_id, bucket, channel, shard) do update
        set invoices = r.invoices + excluded.invoices, returns = r.returns + excluded.returns,
          net_amount = r.net_amount + excluded.net_amount, tax_amount = r.tax_amount + excluded.tax_amount,
          total_amount = r.total_amount + excluded.total_amount,
          discount_amount = r.discount_amount + excluded.discount_amount
    )`
}
