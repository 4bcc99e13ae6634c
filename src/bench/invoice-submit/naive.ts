import { type Transaction, sql } from 'kysely'
import type { Database, Db } from '../../infra/db/database.ts'
import { Big, decimalString, money } from '../../infra/decimal.ts'
import { rollupBucketOf, SALES_ROLLUP_SHARDS } from '../../modules/reporting/index.ts'
import { CASH_TENDERED } from './options.ts'
import type { Template } from './setup.ts'

type Trx = Transaction<Database>

/** The same business operation, a statement per line, reading and writing absolute stock values. */
export async function naiveSubmit(db: Db, locationId: number, template: Template): Promise<void> {
  await db.primary.transaction().execute(async (trx) => {
    const invoice = await trx
      .insertInto('sales_invoice')
      .values({
        location_id: locationId,
        status: 'submitted',
        submitted_at: new Date(),
        created_by: null,
        note: null,
        discount_percent: null,
      })
      .returning(['id', 'submitted_at'])
      .executeTakeFirstOrThrow()
    let subtotal = new Big(0)
    let taxTotal = new Big(0)
    for (const [position, line] of template.lines.entries()) {
      const { gross, tax } = await sellLine(trx, locationId, invoice.id, position, line)
      subtotal = subtotal.plus(gross)
      taxTotal = taxTotal.plus(tax)
    }
    await finish(trx, locationId, invoice.id, template.lines.length, subtotal, taxTotal)
  })
}

/** Reads the product, its unit and its stock, then writes stock, ledger, line and product rollup. */
async function sellLine(trx: Trx, locationId: number, invoiceId: number, position: number, line: Template['lines'][number]) {
  const product = await trx
    .selectFrom('product')
    .select(['id', 'sku', 'name', 'base_unit', 'price', 'tax_rate'])
    .where('id', '=', line.product.id)
    .executeTakeFirstOrThrow()
  const conversion = await trx
    .selectFrom('product_unit')
    .select('factor')
    .where('product_id', '=', product.id)
    .where('unit_code', '=', product.base_unit)
    .executeTakeFirst()
  const factor = new Big(conversion?.factor ?? '1')
  const quantity = new Big(line.quantity)
  const base = quantity.times(factor)
  await takeStock(trx, locationId, invoiceId, product, base)
  const gross = quantity.times(product.price).round(2, Big.roundHalfUp)
  const tax = gross.times(product.tax_rate).div(100).round(2, Big.roundHalfUp)
  await trx
    .insertInto('sales_invoice_line')
    .values({
      invoice_id: invoiceId,
      position,
      product_id: product.id,
      sku: product.sku,
      name: product.name,
      unit: product.base_unit,
      quantity: decimalString(quantity),
      factor: decimalString(factor),
      base_quantity: decimalString(base),
      unit_price: product.price,
      price_overridden: false,
      tax_rate: product.tax_rate,
      gross_amount: money(gross),
      discount_percent: null,
      discount_amount: '0',
      invoice_discount_amount: '0',
      net_amount: money(gross),
      tax_amount: money(tax),
      total_amount: money(gross.plus(tax)),
    })
    .execute()
  await sql`
    insert into sales_rollup_product_hour as r (location_id, bucket, product_id, quantity, net_amount, tax_amount, total_amount)
    values (${locationId}, ${rollupBucketOf(sql`now()`)}, ${product.id}, ${decimalString(base)}::numeric,
      ${money(gross)}::numeric, ${money(tax)}::numeric, ${money(gross.plus(tax))}::numeric)
    on conflict (location_id, bucket, channel, product_id) do update
      set quantity = r.quantity + excluded.quantity, net_amount = r.net_amount + excluded.net_amount,
        tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount`.execute(trx)
  return { gross, tax }
}

/** Read-modify-write of the absolute stock level: the lost update this variant is there to show. */
async function takeStock(trx: Trx, locationId: number, invoiceId: number, product: { id: number; sku: string }, base: Big) {
  const stock = await trx
    .selectFrom('stock_level')
    .select('quantity')
    .where('location_id', '=', locationId)
    .where('product_id', '=', product.id)
    .executeTakeFirstOrThrow()
  const left = new Big(stock.quantity).minus(base)
  if (left.lt(0)) throw new Error(`not enough stock of ${product.sku}`)
  await trx
    .updateTable('stock_level')
    .set({ quantity: decimalString(left), updated_at: new Date() })
    .where('location_id', '=', locationId)
    .where('product_id', '=', product.id)
    .execute()
  await trx
    .insertInto('stock_ledger')
    .values({
      location_id: locationId,
      product_id: product.id,
      delta: decimalString(base.neg()),
      reason: 'sale',
      reference: `sales_invoice:${invoiceId}`,
      token_id: null,
    })
    .execute()
}

/** Payment, location rollup and the invoice's totals. */
async function finish(trx: Trx, locationId: number, invoiceId: number, lineCount: number, subtotal: Big, taxTotal: Big) {
  const total = subtotal.plus(taxTotal)
  await trx
    .insertInto('sales_payment')
    .values({
      invoice_id: invoiceId,
      method: 'cash',
      amount: money(total),
      tendered: CASH_TENDERED,
      change: money(new Big(CASH_TENDERED).minus(total)),
      reference: null,
    })
    .execute()
  await sql`
    insert into sales_rollup_hour as r (location_id, bucket, shard, invoices, returns, net_amount, tax_amount, total_amount, discount_amount)
    values (${locationId}, ${rollupBucketOf(sql`now()`)}, ${invoiceId % SALES_ROLLUP_SHARDS}, 1, 0,
      ${money(subtotal)}::numeric, ${money(taxTotal)}::numeric, ${money(total)}::numeric, 0)
    on conflict (location_id, bucket, channel, shard) do update
      set invoices = r.invoices + 1, net_amount = r.net_amount + excluded.net_amount,
        tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount`.execute(trx)
  await trx
    .updateTable('sales_invoice')
    .set({
      subtotal: money(subtotal),
      net_total: money(subtotal),
      tax_total: money(taxTotal),
      total: money(total),
      paid_total: money(total),
      change_due: money(new Big(CASH_TENDERED).minus(total)),
      line_count: lineCount,
    })
    .where('id', '=', invoiceId)
    .execute()
}
