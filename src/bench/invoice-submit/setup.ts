import { sql } from 'kysely'
import type { Db } from '../../infra/db/database.ts'
import { Big, money } from '../../infra/decimal.ts'
import { moveStockOrFail } from '../../modules/inventory/index.ts'
import { priceInvoice } from '../../modules/catalog/index.ts'
import { CASH_TENDERED, type Options } from './options.ts'

const TEMPLATES = 64
const STOCK_PER_PRODUCT = '1000000000'

interface BenchProduct {
  id: number
  sku: string
  name: string
  price: string
  taxRate: string
}

/** One invoice's lines, priced once up front (the floor writes these values as they are). */
export interface Template {
  lines: { product: BenchProduct; quantity: number }[]
  rows: {
    productId: number
    sku: string
    name: string
    quantity: string
    price: string
    taxRate: string
    gross: string
    net: string
    tax: string
    total: string
  }[]
  subtotal: string
  taxTotal: string
  total: string
  change: string
}

/** A location of its own, products with prices and tax rates, and stock that lasts the whole run. */
export async function setUp(db: Db, options: Options) {
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`
  await db.primary
    .insertInto('unit')
    .values({ code: 'each', name: 'each' })
    .onConflict((oc) => oc.column('code').doNothing())
    .execute()
  const location = await db.primary
    .insertInto('location')
    .values({ code: `BENCH-${run}`, name: `Benchmark ${run}`, allow_negative_stock: false })
    .returning('id')
    .executeTakeFirstOrThrow()
  const products = await insertProducts(db, run, options.products)
  await moveStockOrFail(
    db.primary,
    products.map((p) => ({
      locationId: location.id,
      productId: p.id,
      delta: STOCK_PER_PRODUCT,
      reason: 'adjustment' as const,
      lines: [],
      sku: p.sku,
    })),
    { reference: `bench ${run}`, tokenId: null },
  )
  const templates = makeTemplates(products, options.lines)
  return { locationId: location.id, productIds: products.map((p) => p.id), templates }
}

async function insertProducts(db: Db, run: string, count: number): Promise<BenchProduct[]> {
  const rates = ['0', '7', '19']
  const indexes = Array.from({ length: count }, (_, i) => i)
  const { rows } = await sql<BenchProduct>`
    insert into product (sku, name, base_unit, price, tax_rate)
    select t.sku, t.name, 'each', t.price, t.tax_rate
    from unnest(${indexes.map((i) => `BENCH-${run}-${i}`)}::text[], ${indexes.map((i) => `Bench product ${i}`)}::text[],
      ${indexes.map((i) => money(new Big(50 + ((i * 7919) % 1950)).div(100)))}::numeric[],
      ${indexes.map((i) => rates[i % rates.length]!)}::numeric[]) as t(sku, name, price, tax_rate)
    returning id, sku, name, price::text as price, tax_rate::text as "taxRate"`.execute(db.primary)
  return rows
}

/** The same pseudo-random invoices on every run, so runs compare. */
function makeTemplates(products: BenchProduct[], lineCount: number): Template[] {
  let seed = 42
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    return seed / 2_147_483_648
  }
  return Array.from({ length: TEMPLATES }, () => {
    const chosen = new Set<number>()
    const lines: Template['lines'] = []
    while (lines.length < lineCount) {
      const index = Math.floor(random() * products.length)
      if (chosen.has(index) && chosen.size < products.length) continue
      chosen.add(index)
      lines.push({ product: products[index]!, quantity: 1 + Math.floor(random() * 3) })
    }
    return priceTemplate(lines)
  })
}

function priceTemplate(lines: Template['lines']): Template {
  const priced = priceInvoice(
    lines.map((l) => ({
      quantity: new Big(l.quantity),
      unitPrice: new Big(l.product.price),
      taxRate: new Big(l.product.taxRate),
      discount: { percent: null, amount: new Big(0) },
    })),
    { percent: null, amount: new Big(0) },
  )
  return {
    lines,
    rows: lines.map((l, i) => {
      const p = priced.lines[i]!
      return {
        productId: l.product.id,
        sku: l.product.sku,
        name: l.product.name,
        quantity: String(l.quantity),
        price: l.product.price,
        taxRate: l.product.taxRate,
        gross: money(p.grossAmount),
        net: money(p.netAmount),
        tax: money(p.taxAmount),
        total: money(p.totalAmount),
      }
    }),
    subtotal: money(priced.subtotal),
    taxTotal: money(priced.taxTotal),
    total: money(priced.total),
    change: money(new Big(CASH_TENDERED).minus(priced.total)),
  }
}
