/**
 * The bench's inputs, one row per index i, the same on every run: the record an import file holds
 * (written to disk as JSON Lines as it is generated, never held whole) and the same row resolved
 * to ids, as a line of COPY's text format, for the floor.
 */
import { once } from 'node:events'
import fs from 'node:fs'
import { Readable } from 'node:stream'
import { generatedProduct } from '../../modules/imports/imports.test-support.ts'
import type { Operation } from './options.ts'
import type { World } from './setup.ts'

/** The imported products' categories: generatedProduct names them `Category <i mod 20>`. */
export const PRODUCT_CATEGORIES = 20
const EPOCH = Date.UTC(2026, 0, 1)
const LINES_PER_WRITE = 1000

export const catalogSku = (world: World, i: number) => `BULK-${world.run}-${i}`
/** products: the SKU prefix of this run's imported products (`<prefix>-<i>`) */
export const newProducts = (world: World) => `BULKNEW-${world.run}`
/** conversions each imported product has beside its base unit */
export const PRODUCT_UNITS = 3
const newProduct = (world: World, i: number) => generatedProduct(i, { prefix: newProducts(world), units: PRODUCT_UNITS })
const P = (world: World) => world.productIds.length
const customerOf = (world: World, i: number) => world.customerIds[i % world.customerIds.length]!
/** views: every fourth one an anonymous session's */
const anonymous = (i: number) => i % 4 === 3
const viewedAt = (i: number) => new Date(EPOCH + i * 1000).toISOString()
/** scores: customer ⌊i / P⌋, product i mod P: no (customer, product) twice */
const scoreCustomer = (world: World, i: number) => world.customerIds[Math.floor(i / P(world)) % world.customerIds.length]!
const score = (i: number) => (((i * 7919) % 1_000_000) / 1_000_000).toFixed(6)
const counted = (i: number) => String(1 + ((i * 7) % 100))

/** The import file's record i of `operation`. */
export function recordOf(world: World, operation: Operation, i: number): Record<string, unknown> {
  switch (operation) {
    case 'views':
      return anonymous(i)
        ? { sku: catalogSku(world, i % P(world)), sessionId: `s${i % 5000}`, source: world.source, viewedAt: viewedAt(i) }
        : { sku: catalogSku(world, i % P(world)), customerId: customerOf(world, i), source: world.source, viewedAt: viewedAt(i) }
    case 'scores':
      return { customerId: scoreCustomer(world, i), sku: catalogSku(world, i % P(world)), algorithm: world.algorithm, score: score(i) }
    case 'stock':
      return { sku: catalogSku(world, i), quantity: counted(i) }
    case 'products':
      return { ...newProduct(world, i) }
  }
}

/** Writes `count` records as JSON Lines to `file`, a thousand lines a write, waiting when the disk lags. */
export async function writeInput(file: string, world: World, operation: Operation, count: number): Promise<void> {
  const out = fs.createWriteStream(file)
  try {
    for (let from = 0; from < count; from += LINES_PER_WRITE) {
      let text = ''
      for (let i = from; i < Math.min(count, from + LINES_PER_WRITE); i++) text += `${JSON.stringify(recordOf(world, operation, i))}\n`
      if (!out.write(text)) await once(out, 'drain')
    }
  } finally {
    out.end()
    await once(out, 'close')
  }
}

const N = '\\N'

/** The floor's COPY of one table: its column list and line i (tab-separated, \N for null). */
export interface CopyTarget {
  table: string
  columns: string[]
  /** lines per input row (product units: 3) */
  perRow: number
  line(i: number, k: number): string
}

/** What the floor copies for `operation`, every id resolved already; products take ids from `firstId` on. */
export function copyTargets(world: World, operation: Operation, firstId: number): CopyTarget[] {
  const pid = (i: number) => world.productIds[i % P(world)]!
  switch (operation) {
    case 'views':
      return [{ table: 'product_view', columns: ['product_id', 'customer_id', 'session_id', 'source', 'viewed_at'], perRow: 1, line: (i) =>
        `${pid(i)}\t${anonymous(i) ? N : customerOf(world, i)}\t${anonymous(i) ? `s${i % 5000}` : N}\t${world.source}\t${viewedAt(i)}` }]
    case 'scores':
      return [{ table: 'recommendation_score', columns: ['customer_id', 'product_id', 'algorithm', 'score'], perRow: 1, line: (i) =>
        `${scoreCustomer(world, i)}\t${pid(i)}\t${world.algorithm}\t${score(i)}` }]
    case 'stock':
      return [
        { table: 'stock_level', columns: ['location_id', 'product_id', 'quantity'], perRow: 1, line: (i) => `${world.locationId}\t${pid(i)}\t${counted(i)}` },
        { table: 'stock_ledger', columns: ['location_id', 'product_id', 'delta', 'reason', 'reference'], perRow: 1, line: (i) =>
          `${world.locationId}\t${pid(i)}\t${counted(i)}\tcount\tbench:floor` },
      ]
    case 'products':
      return productTargets(world, firstId)
  }
}

function productTargets(world: World, firstId: number): CopyTarget[] {
  const product = (i: number) => {
    const p = newProduct(world, i)
    return [firstId + i, p.sku, p.name, p.barcode, p.baseUnit, p.price, p.taxRate, p.active, world.categoryIds[i % PRODUCT_CATEGORIES]].join('	')
  }
  const unit = (i: number, k: number) => {
    const u = newProduct(world, i).units[k]!
    return `${firstId + i}	${u.unit}	${u.factor}	${u.barcode ?? N}`
  }
  return [
    { table: 'product', columns: ['id', 'sku', 'name', 'barcode', 'base_unit', 'price', 'tax_rate', 'active', 'category_id'], perRow: 1, line: product },
    { table: 'product_unit', columns: ['product_id', 'unit_code', 'factor', 'barcode'], perRow: PRODUCT_UNITS, line: unit },
  ]
}

/** The COPY input of `target` for rows 0…count-1, made as it is read. */
export function copyInput(target: CopyTarget, count: number): Readable {
  function* lines() {
    for (let from = 0; from < count; from += LINES_PER_WRITE) {
      let text = ''
      for (let i = from; i < Math.min(count, from + LINES_PER_WRITE); i++) {
        for (let k = 0; k < target.perRow; k++) text += `${target.line(i, k)}\n`
      }
      yield text
    }
  }
  return Readable.from(lines(), { objectMode: false })
}
