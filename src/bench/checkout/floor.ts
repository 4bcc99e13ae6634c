import { sql } from 'kysely'
import type { Db } from '../../infra/db/database.ts'
import { pgArray } from '../../infra/db/pg-array.ts'
import { rollupBucketOf, SALES_ROLLUP_SHARDS } from '../../modules/reporting/index.ts'
import type { Template } from '../invoice-submit/setup.ts'
import { ADDRESS, withShipping } from './shop.ts'

/** The order, its lines and its history (placed, then paid when the card was taken). */
function orderCtes(locationId: number, t: Template, paid: boolean) {
  const col = <K extends keyof Template['rows'][number]>(key: K) => pgArray(t.rows.map((r) => r[key]))
  const { shipping, total } = withShipping(t.total)
  return sql`with ord as (
      insert into online_order (email, status, location_id, shipping_method_name, shipping_address, shipping_country,
        subtotal, tax_total, shipping_total, total, line_count, payment_provider, paid_total, paid_at)
      values ('floor@example.com', ${paid ? 'paid' : 'placed'}, ${locationId}, 'Standard', ${JSON.stringify(ADDRESS)}::jsonb, 'GB',
        ${t.subtotal}::numeric, ${t.taxTotal}::numeric, ${shipping}::numeric, ${total}::numeric, ${t.rows.length},
        ${paid ? 'test' : 'manual'}, ${paid ? total : '0'}::numeric, ${paid ? sql`now()` : sql`null`})
      returning id
    ), input as (
      select * from unnest(${col('productId')}::bigint[], ${col('sku')}::text[], ${col('name')}::text[],
        ${col('quantity')}::numeric[], ${col('price')}::numeric[], ${col('taxRate')}::numeric[],
        ${col('net')}::numeric[], ${col('tax')}::numeric[], ${col('total')}::numeric[])
        with ordinality as t(product_id, sku, name, quantity, price, tax_rate, net, tax, total, position)
    ), lines as (
      insert into online_order_line (order_id, position, product_id, sku, name, unit, quantity, factor, base_quantity,
        unit_price, tax_rate, net_amount, tax_amount, total_amount)
      select ord.id, t.position - 1, t.product_id, t.sku, t.name, 'each', t.quantity, 1, t.quantity, t.price, t.tax_rate,
        t.net, t.tax, t.total
      from ord cross join input t
    ), events as (
      insert into online_order_event (order_id, kind, from_status, to_status, actor)
      select ord.id, e.kind, e.from_status, e.to_status, 'guest'
      from ord cross join (values ('placed', null, 'placed', 1), ('paid', 'placed', 'paid', 2)) as e(kind, from_status, to_status, n)
      where e.n = 1 or ${paid}
    )`
}

/** The stock taken (in product order, refused below zero), its ledger rows, both rollups. */
function stockCtes(locationId: number, t: Template) {
  return sql`per_product as (
      select product_id, sum(quantity) as quantity, sum(net) as net, sum(tax) as tax, sum(total) as total
      from input group by product_id
    ), stock as (
      -- in product order, as Brisk locks them: concurrent orders of the same products never deadlock
      insert into stock_level as s (location_id, product_id, quantity, updated_at)
      select ${locationId}, p.product_id, -p.quantity, now() from per_product p order by p.product_id
      on conflict (location_id, product_id) do update
        set quantity = s.quantity + excluded.quantity, updated_at = excluded.updated_at
        where s.quantity + excluded.quantity >= 0
      returning s.product_id
    ), ledger as (
      insert into stock_ledger (location_id, product_id, delta, reason, reference)
      select ${locationId}, p.product_id, -p.quantity, 'sale', 'floor'
      from per_product p join stock s on s.product_id = p.product_id
    ), product_hour as (
      insert into sales_rollup_product_hour as r (location_id, bucket, channel, product_id, quantity, net_amount, tax_amount, total_amount)
      select ${locationId}, ${rollupBucketOf(sql`now()`)}, 'online', p.product_id, p.quantity, p.net, p.tax, p.total
      from per_product p cross join (select count(*) from stock) as stock_first
      order by p.product_id
      on conflict (location_id, bucket, channel, product_id) do update
        set quantity = r.quantity + excluded.quantity, net_amount = r.net_amount + excluded.net_amount,
          tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount
      returning r.product_id
    ), location_hour as (
      insert into sales_rollup_hour as r (location_id, bucket, channel, shard, invoices, returns, net_amount, tax_amount,
        total_amount, discount_amount)
      select ${locationId}, ${rollupBucketOf(sql`now()`)}, 'online', ord.id % ${SALES_ROLLUP_SHARDS}, 1, 0, ${t.subtotal}::numeric,
        ${t.taxTotal}::numeric, ${t.total}::numeric, 0
      from ord cross join (select count(*) from product_hour) as products_first
      on conflict (location_id, bucket, channel, shard) do update
        set invoices = r.invoices + 1, net_amount = r.net_amount + excluded.net_amount,
          tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount
    )`
}

/**
 * The floor: the writes of a placement — the order, its lines, its history, the stock taken (refused
 * below zero), the ledger rows, both rollups (channel 'online') — in one hand-written statement
 * with every value computed beforehand, prepared like Brisk's own. No cart, no checks, no HTTP.
 */
export async function floorPlace(db: Db, locationId: number, t: Template, paid: boolean): Promise<void> {
  const { rows } = await sql<{ taken: number }>`/* prepared */
    ${orderCtes(locationId, t, paid)}, ${stockCtes(locationId, t)}
    select (select count(*) from stock)::integer as taken`.execute(db.primary)
  // nothing short: stock is plentiful, and a refusal here would make the floor look cheaper than it is
  if (rows[0]!.taken !== new Set(t.rows.map((r) => r.productId)).size) throw new Error('floor: a stock row was short')
}
