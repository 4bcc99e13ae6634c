/** The rollup SQL other modules compose into their write statements (a sale updates its rollups in its own statement). */
import { type RawBuilder, sql } from 'kysely'

/** The CTEs `salesRollupCtes` adds, by name. */
export const ROLLUP_CTE = {
  products: 'sales_rollup_products',
  location: 'sales_rollup_location',
} as const

const ROLLUP_CTE_SQL = { products: sql.raw(ROLLUP_CTE.products), location: sql.raw(ROLLUP_CTE.location) }

/**
 * Rollup rows count per quarter hour: `bucket` is the start of a 15-minute UTC interval counted from
 * the epoch. Every offset the IANA zones use today is a whole number of quarter hours (Asia/Kolkata
 * +05:30, Asia/Kathmandu +05:45), so every local hour and day, DST days too, is an exact sum of
 * buckets; UTC hours were exact only in zones offset by whole hours. The tables keep their hourly names.
 */
/** The rollup row an instant counts in: its UTC quarter hour, so every zone's hours and days are exact sums. */
export const rollupBucketOf = (at: RawBuilder<unknown>) => sql`date_bin('15 minutes', ${at}, timestamptz '1970-01-01 00:00:00+00')`

/**
 * Location rows are split in shards (invoice id % SALES_ROLLUP_SHARDS): concurrent tills of
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

/** Where a sale was made: at a till (an invoice) or in the online store (an order). */
export type SalesChannel = 'pos' | 'online'

/** A signed change to the rollups: a submit adds, a cancel or a return subtracts. */
export interface SalesRollupDelta {
  /** a number, or SQL (say, the location an order's statement allocated it to) */
  locationId: number | RawBuilder<number>
  channel: SalesChannel
  /** the moment the sale counts for, bucketed to its quarter hour; SQL (e.g. now()) or a Date */
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
 * The rollup upserts as two CTEs (`ROLLUP_CTE`) of a caller's
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
  const location = typeof delta.locationId === 'number' ? sql`${delta.locationId}::bigint` : sql`(${delta.locationId})`
  const at = delta.at instanceof Date ? sql`${delta.at}::timestamptz` : delta.at
  const shard =
    typeof delta.invoiceId === 'number'
      ? sql`${delta.invoiceId % SALES_ROLLUP_SHARDS}::bigint`
      : sql`(${delta.invoiceId}) % ${SALES_ROLLUP_SHARDS}`
  const { products: productsCte, location: locationCte } = ROLLUP_CTE_SQL
  return sql`${productsCte} as (
      -- per product and quarter hour, in product order, so concurrent sales lock these rows alike
      insert into sales_rollup_product_hour as r (location_id, bucket, channel, product_id, quantity, net_amount, tax_amount,
        total_amount)
      select ${location}, ${rollupBucketOf(at)}, ${delta.channel}::text, t.product_id,
        sum(t.quantity), sum(t.net_amount), sum(t.tax_amount), sum(t.total_amount)
      from (${productRows}) as t(product_id, quantity, net_amount, tax_amount, total_amount)
      ${after}
      ${when}
      group by t.product_id
      order by t.product_id
      on conflict (location_id, bucket, channel, product_id) do update
        set quantity = r.quantity + excluded.quantity, net_amount = r.net_amount + excluded.net_amount,
          tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount
      returning r.product_id
    ), ${locationCte} as (
      -- per location, quarter hour and shard: the shard spreads concurrent tills over several rows
      insert into sales_rollup_hour as r (location_id, bucket, channel, shard, invoices, returns, net_amount, tax_amount,
        total_amount, discount_amount)
      select ${location}, ${rollupBucketOf(at)}, ${delta.channel}::text, ${shard},
        ${delta.invoices}::bigint, ${delta.returns}::bigint, ${delta.netAmount}::numeric, ${delta.taxAmount}::numeric,
        ${delta.totalAmount}::numeric, ${delta.discountAmount}::numeric
      -- reading the product upserts makes them finish first: the lock order is the same in every statement
      from (select count(*) from ${productsCte}) as products_first
      ${when}
      on conflict (location_id, bucket, channel, shard) do update
        set invoices = r.invoices + excluded.invoices, returns = r.returns + excluded.returns,
          net_amount = r.net_amount + excluded.net_amount, tax_amount = r.tax_amount + excluded.tax_amount,
          total_amount = r.total_amount + excluded.total_amount,
          discount_amount = r.discount_amount + excluded.discount_amount
    )`
}

