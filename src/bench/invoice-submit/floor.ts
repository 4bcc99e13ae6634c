import { sql } from 'kysely'
import type { Db } from '../../infra/db/database.ts'
import { pgArray } from '../../infra/db/pg-array.ts'
import { rollupBucketOf, SALES_ROLLUP_SHARDS } from '../../modules/reporting/index.ts'
import { CASH_TENDERED } from './options.ts'
import type { Template } from './setup.ts'

/** Every write of the sale in one statement, values computed beforehand: nothing left to save. */
export async function floorSubmit(db: Db, locationId: number, t: Template): Promise<void> {
  // arrays serialized the way Brisk's own statements send them
  const col = <K extends keyof Template['rows'][number]>(key: K) => pgArray(t.rows.map((r) => r[key]))
  // prepared like Brisk's own hot statements, so both are compared on the same footing
  await sql`/* prepared */
    with inv as (
      insert into sales_invoice (location_id, status, subtotal, net_total, tax_total, total, paid_total, change_due,
        line_count, submitted_at)
      values (${locationId}, 'submitted', ${t.subtotal}::numeric, ${t.subtotal}::numeric, ${t.taxTotal}::numeric,
        ${t.total}::numeric, ${t.total}::numeric, ${t.change}::numeric, ${t.rows.length}, now())
      returning id
    ), input as (
      select * from unnest(${col('productId')}::bigint[], ${col('sku')}::text[], ${col('name')}::text[],
        ${col('quantity')}::numeric[], ${col('price')}::numeric[], ${col('taxRate')}::numeric[], ${col('gross')}::numeric[],
        ${col('net')}::numeric[], ${col('tax')}::numeric[], ${col('total')}::numeric[])
        with ordinality as t(product_id, sku, name, quantity, price, tax_rate, gross, net, tax, total, position)
    ), lines as (
      insert into sales_invoice_line (invoice_id, position, product_id, sku, name, unit, quantity, factor, base_quantity,
        unit_price, price_overridden, tax_rate, gross_amount, net_amount, tax_amount, total_amount)
      select inv.id, t.position, t.product_id, t.sku, t.name, 'each', t.quantity, 1, t.quantity, t.price, false,
        t.tax_rate, t.gross, t.net, t.tax, t.total
      from inv cross join input t
    ), per_product as (
      select product_id, sum(quantity) as quantity, sum(net) as net, sum(tax) as tax, sum(total) as total
      from input group by product_id
    ), stock as (
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
    ), payment as (
      insert into sales_payment (invoice_id, method, amount, tendered, change)
      select inv.id, 'cash', ${t.total}::numeric, ${CASH_TENDERED}::numeric, ${t.change}::numeric from inv
    ), location_hour as (
      insert into sales_rollup_hour as r (location_id, bucket, shard, invoices, net_amount, tax_amount, total_amount)
      select ${locationId}, ${rollupBucketOf(sql`now()`)}, inv.id % ${SALES_ROLLUP_SHARDS}, 1, ${t.subtotal}::numeric,
        ${t.taxTotal}::numeric, ${t.total}::numeric
      from inv
      on conflict (location_id, bucket, channel, shard) do update
        set invoices = r.invoices + 1, net_amount = r.net_amount + excluded.net_amount,
          tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount
    ), product_hour as (
      insert into sales_rollup_product_hour as r (location_id, bucket, product_id, quantity, net_amount, tax_amount, total_amount)
      select ${locationId}, ${rollupBucketOf(sql`now()`)}, p.product_id, p.quantity, p.net, p.tax, p.total
      from per_product p order by p.product_id
      on conflict (location_id, bucket, channel, product_id) do update
        set quantity = r.quantity + excluded.quantity, net_amount = r.net_amount + excluded.net_amount,
          tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount
    )
    select id from inv`.execute(db.primary)
}
