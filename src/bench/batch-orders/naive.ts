/**
 * Seed 003's "before": the batch in one long transaction, an order at a time, reading each row
 * before writing it — the way an ORM loop does it (get, check, save, create), a statement or more
 * per order and per line.
 */
import { type Transaction, sql } from 'kysely'
import type { Database, Db } from '../../infra/db/database.ts'
import { Big, decimalString, money } from '../../infra/decimal.ts'
import type { ImportOrderInput } from '../../modules/orders/index.ts'
import { rollupBucketOf, SALES_ROLLUP_SHARDS } from '../../modules/reporting/index.ts'

type Trx = Transaction<Database>

/** Where the loop reports how far it is, and what tells it to stop early. */
export interface Loop {
  signal: AbortSignal
  done: (orders: number) => void
}

const EVERY = 1000

/** Between orders: reports progress and lets Ctrl+C through (PGlite answers within the microtask queue). */
async function step(loop: Loop, i: number): Promise<boolean> {
  if (i % EVERY === 0) {
    loop.done(i)
    await new Promise(setImmediate)
  }
  return !loop.signal.aborted
}

/** Per order: read it (locked), check its state, update it, write its history row. Answers the orders paid. */
export async function naiveMarkPaid(db: Db, ids: readonly number[], loop: Loop): Promise<number> {
  let paid = 0
  await db.primary.transaction().execute(async (trx) => {
    for (const [i, id] of ids.entries()) {
      if (!(await step(loop, i))) break
      const order = await trx.selectFrom('online_order').select(['id', 'status', 'total']).where('id', '=', id).forUpdate().executeTakeFirst()
      if (order?.status !== 'placed') continue
      const at = new Date()
      await trx.updateTable('online_order').set({ status: 'paid', paid_total: order.total, paid_at: at, updated_at: at }).where('id', '=', id).execute()
      await trx
        .insertInto('online_order_event')
        .values({ order_id: id, at, kind: 'paid', from_status: 'placed', to_status: 'paid', actor: 'system', detail: JSON.stringify({ naive: true }) })
        .execute()
      paid += 1
    }
  })
  return paid
}

interface NaiveLine {
  product: { id: number; sku: string; name: string; base_unit: string; price: string; tax_rate: string }
  quantity: Big
  net: Big
  tax: Big
}

/** Per order: each product read by SKU, the reference checked, each stock row read then written, and every row inserted one by one. */
export async function naiveImport(db: Db, source: string, locationId: number, orders: readonly ImportOrderInput[], loop: Loop): Promise<number> {
  let placed = 0
  await db.primary.transaction().execute(async (trx) => {
    for (const [i, order] of orders.entries()) {
      if (!(await step(loop, i))) break
      const lines: NaiveLine[] = []
      for (const line of order.lines) {
        const product = await trx
          .selectFrom('product')
          .select(['id', 'sku', 'name', 'base_unit', 'price', 'tax_rate'])
          .where('sku', '=', line.sku)
          .executeTakeFirstOrThrow()
        const quantity = new Big(line.quantity)
        const net = quantity.times(product.price).round(2, Big.roundHalfUp)
        lines.push({ product, quantity, net, tax: net.times(product.tax_rate).div(100).round(2, Big.roundHalfUp) })
      }
      const seen = await trx.selectFrom('online_order').select('id').where('source', '=', source).where('external_ref', '=', order.externalRef).executeTakeFirst()
      if (seen) continue
      const levels = []
      for (const line of lines) levels.push(await stockLevel(trx, locationId, line))
      const id = await insertOrder(trx, source, locationId, order, lines)
      for (const [position, line] of lines.entries()) await writeLine(trx, locationId, id, position, line, levels[position]!)
      await rollUp(trx, locationId, id, lines)
      placed += 1
    }
  })
  return placed
}

async function stockLevel(trx: Trx, locationId: number, line: NaiveLine): Promise<Big> {
  const stock = await trx
    .selectFrom('stock_level')
    .select('quantity')
    .where('location_id', '=', locationId)
    .where('product_id', '=', line.product.id)
    .forUpdate()
    .executeTakeFirstOrThrow()
  const left = new Big(stock.quantity).minus(line.quantity)
  if (left.lt(0)) throw new Error(`not enough stock of ${line.product.sku}`)
  return left
}

async function insertOrder(trx: Trx, source: string, locationId: number, order: ImportOrderInput, lines: NaiveLine[]): Promise<number> {
  const subtotal = lines.reduce((sum, l) => sum.plus(l.net), new Big(0))
  const taxTotal = lines.reduce((sum, l) => sum.plus(l.tax), new Big(0))
  const { id } = await trx
    .insertInto('online_order')
    .values({
      source,
      external_ref: order.externalRef,
      email: order.email,
      status: 'placed',
      location_id: locationId,
      shipping_address: JSON.stringify(order.shippingAddress),
      shipping_country: order.shippingAddress.country,
      subtotal: money(subtotal),
      tax_total: money(taxTotal),
      shipping_total: '0',
      total: money(subtotal.plus(taxTotal)),
      line_count: lines.length,
      payment_provider: source.slice('marketplace:'.length),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await trx
    .insertInto('online_order_event')
    .values({ order_id: id, kind: 'imported', from_status: null, to_status: 'placed', actor: 'system', detail: JSON.stringify({ source }) })
    .execute()
  return id
}

async function writeLine(trx: Trx, locationId: number, orderId: number, position: number, line: NaiveLine, left: Big): Promise<void> {
  const { product, quantity, net, tax } = line
  await trx
    .insertInto('online_order_line')
    .values({
      order_id: orderId,
      position,
      product_id: product.id,
      sku: product.sku,
      name: product.name,
      unit: product.base_unit,
      quantity: decimalString(quantity),
      factor: '1',
      base_quantity: decimalString(quantity),
      unit_price: product.price,
      tax_rate: product.tax_rate,
      net_amount: money(net),
      tax_amount: money(tax),
      total_amount: money(net.plus(tax)),
    })
    .execute()
  await trx
    .updateTable('stock_level')
    .set({ quantity: decimalString(left), updated_at: new Date() })
    .where('location_id', '=', locationId)
    .where('product_id', '=', product.id)
    .execute()
  await trx
    .insertInto('stock_ledger')
    .values({ location_id: locationId, product_id: product.id, delta: decimalString(quantity.neg()), reason: 'sale', reference: `order:${orderId}`, token_id: null })
    .execute()
}

/** The order's rollup rows, channel 'online': its shard's row, then a row per line's product. */
async function rollUp(trx: Trx, locationId: number, orderId: number, lines: NaiveLine[]): Promise<void> {
  const bucket = rollupBucketOf(sql`now()`)
  const net = lines.reduce((sum, l) => sum.plus(l.net), new Big(0))
  const tax = lines.reduce((sum, l) => sum.plus(l.tax), new Big(0))
  await sql`
    insert into sales_rollup_hour as r (location_id, bucket, channel, shard, invoices, returns, net_amount, tax_amount, total_amount, discount_amount)
    values (${locationId}, ${bucket}, 'online', ${orderId % SALES_ROLLUP_SHARDS}, 1, 0, ${money(net)}::numeric, ${money(tax)}::numeric,
      ${money(net.plus(tax))}::numeric, 0)
    on conflict (location_id, bucket, channel, shard) do update
      set invoices = r.invoices + 1, net_amount = r.net_amount + excluded.net_amount,
        tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount`.execute(trx)
  for (const line of lines) {
    await sql`
      insert into sales_rollup_product_hour as r (location_id, bucket, channel, product_id, quantity, net_amount, tax_amount, total_amount)
      values (${locationId}, ${bucket}, 'online', ${line.product.id}, ${decimalString(line.quantity)}::numeric, ${money(line.net)}::numeric,
        ${money(line.tax)}::numeric, ${money(line.net.plus(line.tax))}::numeric)
      on conflict (location_id, bucket, channel, product_id) do update
        set quantity = r.quantity + excluded.quantity, net_amount = r.net_amount + excluded.net_amount,
          tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount`.execute(trx)
  }
}
