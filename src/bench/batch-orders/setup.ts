import { sql } from 'kysely'
import type { Db } from '../../infra/db/database.ts'
import { SYSTEM_PRINCIPAL } from '../../modules/access/index.ts'
import { moveStockOrFail } from '../../modules/inventory/index.ts'
import type { ImportOrderInput, OrdersService } from '../../modules/orders/index.ts'
import type { Progress } from '../progress.ts'

const PRODUCTS = 20
const STOCK_PER_PRODUCT = '1000000000'
/** the setup's imports: bigger chunks than the measured service's, it is not what is measured */
export const SETUP_CHUNK = 10_000
/** placed orders are imported as `manual` payments: unpaid, as a shop's pay-by-transfer orders */
export const SETUP_SOURCE = 'marketplace:manual'
const ADDRESS = { name: 'Ada Lovelace', line1: '1 Analytical Row', city: 'London', postalCode: 'N1 9GU', country: 'GB' }

export interface BenchProduct {
  id: number
  sku: string
  price: string
  taxRate: string
}

export interface Shop {
  run: string
  locationId: number
  products: BenchProduct[]
}

/** A location of its own that sells online, products with prices and tax rates, and stock that lasts the whole run. */
export async function setUpShop(db: Db): Promise<Shop> {
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`
  await db.primary.insertInto('unit').values({ code: 'each', name: 'each' }).onConflict((oc) => oc.column('code').doNothing()).execute()
  const location = await db.primary
    .insertInto('location')
    .values({ code: `BATCH-${run}`, name: `Batch benchmark ${run}`, allow_negative_stock: false, sells_online: true })
    .returning('id')
    .executeTakeFirstOrThrow()
  const { rows: products } = await sql<BenchProduct>`
    insert into product (sku, name, base_unit, price, tax_rate)
    select 'BATCH-' || ${run} || '-' || i, 'Batch product ' || i, 'each', 1 + (i * 37 % 50) / 4.0, (array[0, 7, 19])[1 + i % 3]
    from generate_series(1, ${PRODUCTS}::int) as i
    returning id, sku, price::text as price, tax_rate::text as "taxRate"`.execute(db.primary)
  await moveStockOrFail(
    db.primary,
    products.map((p) => ({ locationId: location.id, productId: p.id, delta: STOCK_PER_PRODUCT, reason: 'adjustment' as const, lines: [], sku: p.sku })),
    { reference: `bench ${run}`, tokenId: null },
  )
  return { run, locationId: location.id, products }
}

/** Marketplace orders of two lines each, their references `<run>-<prefix>-<i>` from i = `from`. */
export function marketplaceOrders(shop: Shop, prefix: string, count: number, from = 0): ImportOrderInput[] {
  const { products } = shop
  return Array.from({ length: count }, (_, k) => from + k).map((i) => ({
    externalRef: `${shop.run}-${prefix}-${i}`,
    email: `buyer${i}@example.com`,
    shippingAddress: ADDRESS,
    lines: [
      { sku: products[i % products.length]!.sku, quantity: '1' },
      { sku: products[(i + 1) % products.length]!.sku, quantity: '2' },
    ],
  }))
}

/**
 * `count` placed, unpaid orders with their lines, history, stock taken, ledger and rollups, written
 * by the import service (not measured): every row as Brisk itself writes it. Answers their ids.
 */
export async function placedOrders(orders: OrdersService, shop: Shop, prefix: string, count: number, progress: Progress): Promise<number[]> {
  const ids: number[] = []
  for (let from = 0; from < count; from += SETUP_CHUNK) {
    progress.detail(`${from}/${count} orders`)
    const chunk = marketplaceOrders(shop, prefix, Math.min(SETUP_CHUNK, count - from), from)
    const { results } = await orders.importOrders(SYSTEM_PRINCIPAL, { source: SETUP_SOURCE, locationId: shop.locationId, orders: chunk })
    const failed = results.find((r) => r.orderId === null)
    if (failed) throw new Error(`setting up placed orders: ${failed.error?.code} ${failed.error?.message}`)
    ids.push(...results.map((r) => r.orderId!))
  }
  return ids
}

/** Fresh statistics and no dead rows before a variant runs, so neither pays for the other's leftovers. */
export async function settle(db: Db): Promise<void> {
  await sql`vacuum analyze online_order, online_order_line, online_order_event, stock_level, stock_ledger, batch_log,
    sales_rollup_hour, sales_rollup_product_hour`.execute(db.primary)
}
