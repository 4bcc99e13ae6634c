import { type RawBuilder, sql } from 'kysely'
import type { Executor } from '../../infra/db/database.ts'

/**
 * Hourly location rows are split in shards (invoice id % SALES_ROLLUP_SHARDS): concurrent tills of
 * one store update different rows instead of queueing on one; readers sum the shards.
 */
export const SALES_ROLLUP_SHARDS = 16

export interface ProductRollupDelta {
  productId: number
  /** signed, in the product's base unit */
  quantity: string
  netAmount: string
  taxAmount: string
  totalAmount: string
}

/** A signed change to the rollups: a submit adds, a cancel or a return subtracts. */
export interface SalesRollupDelta {
  locationId: number
  /** the moment the sale counts for, bucketed to its UTC hour; SQL (e.g. now()) or a Date */
  at: Date | RawBuilder<Date>
  /** the invoice whose shard is written; SQL (e.g. an id made in the same statement) or a number */
  invoiceId: number | RawBuilder<number>
  invoices: number
  returns: number
  netAmount: string
  taxAmount: string
  totalAmount: string
  discountAmount: string
  /** values, or SQL selecting (product_id, quantity, net_amount, tax_amount, total_amount); summed per product */
  products: readonly ProductRollupDelta[] | RawBuilder<unknown>
}

/**
 * The rollup upserts as two CTEs (`sales_rollup_products`, `sales_rollup_location`) of a caller's
 * write statement, applied only `when` the given condition holds (if any), so a sale, cancel or
 * return applies them inside its own write statement. Product keys are upserted in product order,
 * then the invoice's shard row; with `after` (the name of an earlier CTE of the statement, e.g.
 * its stock movements) they wait until that CTE is done. So every sales statement takes its row
 * locks in one global order — stock rows, rollup product rows, shard row — and no deadlock can form.
 */
export function salesRollupCtes(
  delta: SalesRollupDelta,
  options: { when?: RawBuilder<boolean>; after?: string } = {},
): RawBuilder<unknown> {
  const when = options.when ? sql`where ${options.when}` : sql``
  // reading every row of the earlier CTE makes it finish before the first rollup row is locked
  const after = options.after ? sql`cross join (select count(*) from ${sql.table(options.after)}) as earlier_first` : sql``
  const products = delta.products
  const productRows =
    'isRawBuilder' in products
      ? products
      : sql`select * from unnest(${products.map((p) => p.productId)}::bigint[], ${products.map((p) => p.quantity)}::numeric[],
          ${products.map((p) => p.netAmount)}::numeric[], ${products.map((p) => p.taxAmount)}::numeric[],
          ${products.map((p) => p.totalAmount)}::numeric[])`
  const at = delta.at instanceof Date ? sql`${delta.at}::timestamptz` : delta.at
  const shard =
    typeof delta.invoiceId === 'number'
      ? sql`${delta.invoiceId % SALES_ROLLUP_SHARDS}::bigint`
      : sql`(${delta.invoiceId}) % ${SALES_ROLLUP_SHARDS}`
  return sql`sales_rollup_products as (
      insert into sales_rollup_product_hour as r (location_id, bucket, product_id, quantity, net_amount, tax_amount,
        total_amount)
      select ${delta.locationId}::bigint, date_trunc('hour', ${at}, 'UTC'), t.product_id, sum(t.quantity),
        sum(t.net_amount), sum(t.tax_amount), sum(t.total_amount)
      from (${productRows}) as t(product_id, quantity, net_amount, tax_amount, total_amount)
      ${after}
      ${when}
      group by t.product_id
      order by t.product_id
      on conflict (location_id, bucket, product_id) do update
        set quantity = r.quantity + excluded.quantity, net_amount = r.net_amount + excluded.net_amount,
          tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount
      returning r.product_id
    ), sales_rollup_location as (
      insert into sales_rollup_hour as r (location_id, bucket, shard, invoices, returns, net_amount, tax_amount,
        total_amount, discount_amount)
      select ${delta.locationId}::bigint, date_trunc('hour', ${at}, 'UTC'), ${shard}, ${delta.invoices}::bigint,
        ${delta.returns}::bigint, ${delta.netAmount}::numeric, ${delta.taxAmount}::numeric, ${delta.totalAmount}::numeric,
        ${delta.discountAmount}::numeric
      -- reading the product upserts makes them finish first: the lock order is the same in every statement
      from (select count(*) from sales_rollup_products) as products_first
      ${when}
      on conflict (location_id, bucket, shard) do update
        set invoices = r.invoices + excluded.invoices, returns = r.returns + excluded.returns,
          net_amount = r.net_amount + excluded.net_amount, tax_amount = r.tax_amount + excluded.tax_amount,
          total_amount = r.total_amount + excluded.total_amount,
          discount_amount = r.discount_amount + excluded.discount_amount
    )`
}

/** The rollups alone, in one statement (for writers with no statement of their own to fold them into). */
export async function applySalesRollups(db: Executor, delta: SalesRollupDelta): Promise<void> {
  await sql`with ${salesRollupCtes(delta)} select 1`.execute(db)
}

export interface HourlySalesRow {
  hour: Date
  invoices: number
  returns: number
  net_amount: string
  tax_amount: string
  total_amount: string
  discount_amount: string
}

/** The instant a local day starts in `timeZone` (an IANA name). */
const dayStart = (date: string, timeZone: string) => sql`(${date}::date)::timestamp at time zone ${timeZone}`
const dayAfter = (date: string, timeZone: string) => sql`(${date}::date + 1)::timestamp at time zone ${timeZone}`

/** Every hour of a local day (23 or 25 on DST days), zeros where nothing was sold; reads only the rollups. */
export async function readHourlySales(
  db: Executor,
  query: { locationId: number; date: string; timeZone: string },
): Promise<HourlySalesRow[]> {
  const { rows } = await sql<HourlySalesRow>`
    select h.hour, coalesce(sum(r.invoices), 0)::bigint as invoices, coalesce(sum(r.returns), 0)::bigint as returns,
      coalesce(sum(r.net_amount), 0)::numeric(16, 2) as net_amount,
      coalesce(sum(r.tax_amount), 0)::numeric(16, 2) as tax_amount,
      coalesce(sum(r.total_amount), 0)::numeric(16, 2) as total_amount,
      coalesce(sum(r.discount_amount), 0)::numeric(16, 2) as discount_amount
    from generate_series(${dayStart(query.date, query.timeZone)}, ${dayAfter(query.date, query.timeZone)} - interval '1 hour',
      interval '1 hour') as h(hour)
    left join sales_rollup_hour r on r.location_id = ${query.locationId} and r.bucket = h.hour
    group by h.hour
    order by h.hour`.execute(db)
  return rows
}

export interface TopProductRow {
  product_id: number
  sku: string
  name: string
  quantity: string
  net_amount: string
  tax_amount: string
  total_amount: string
}

export async function readTopProducts(
  db: Executor,
  query: { locationId: number; fromDate: string; toDate: string; timeZone: string; limit: number; by: 'total' | 'quantity' },
): Promise<TopProductRow[]> {
  const order = query.by === 'quantity' ? sql`sum(r.quantity)` : sql`sum(r.total_amount)`
  const { rows } = await sql<TopProductRow>`
    select r.product_id, p.sku, p.name, sum(r.quantity) as quantity, sum(r.net_amount) as net_amount,
      sum(r.tax_amount) as tax_amount, sum(r.total_amount) as total_amount
    from sales_rollup_product_hour r
    join product p on p.id = r.product_id
    where r.location_id = ${query.locationId} and r.bucket >= ${dayStart(query.fromDate, query.timeZone)}
      and r.bucket < ${dayAfter(query.toDate, query.timeZone)}
    group by r.product_id, p.sku, p.name
    having sum(r.quantity) <> 0 or sum(r.total_amount) <> 0
    order by ${order} desc, r.product_id
    limit ${query.limit}`.execute(db)
  return rows
}
