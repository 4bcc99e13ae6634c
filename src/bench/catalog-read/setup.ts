import { sql } from 'kysely'
import type { Db } from '../../infra/db/database.ts'
import { createAccessService } from '../../modules/access/index.ts'
import type { LoadTarget } from '../http-load.ts'

/** How a till finds a product: by id, by SKU (typed), by barcode (scanned). */
export const LOOKUPS = ['id', 'sku', 'barcode'] as const
export type Lookup = (typeof LOOKUPS)[number]

const SEQUENCE_LENGTH = 1 << 16

export interface BenchProduct {
  id: number
  sku: string
  barcode: string
}

/** A seeded pseudo-random generator: the same requests on every run, so runs compare. */
export function seededRandom(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  }
}

/**
 * Ranks 0..n-1 drawn with probability ∝ 1/(rank+1)^exponent: a few products take most of the
 * traffic (with exponent 1 over 1,000 products the first takes 13 %, the first 100 take 69 %).
 */
export function zipfRanks(n: number, exponent: number, count: number, random: () => number): number[] {
  const cumulative = new Float64Array(n)
  let total = 0
  for (let r = 0; r < n; r++) {
    total += 1 / (r + 1) ** exponent
    cumulative[r] = total
  }
  return Array.from({ length: count }, () => {
    const u = random() * total
    let low = 0
    let high = n - 1
    while (low < high) {
      const mid = (low + high) >> 1
      if (cumulative[mid]! < u) low = mid + 1
      else high = mid
    }
    return low
  })
}

/** What the measuring sends: a target per product and lookup, and the order to send them in. */
export interface Workload {
  products: BenchProduct[]
  targets: LoadTarget[]
  /** Zipf over products (the hottest ones scattered over the ids), lookups evenly mixed */
  sequence: number[]
  /** the hottest product: the floor answers its bytes */
  hottest: BenchProduct
  /** a cashier's and an admin's bearer token */
  cashierToken: string
  adminToken: string
}

export function targetOf(product: BenchProduct, lookup: Lookup): string {
  if (lookup === 'id') return `/api/products/${product.id}`
  return `/api/products/lookup?code=${encodeURIComponent(lookup === 'sku' ? product.sku : product.barcode)}`
}

export async function setUpWorkload(db: Db, count: number, exponent: number): Promise<Workload> {
  const products = await insertProducts(db, count)
  const random = seededRandom(42)
  // a shuffled copy: rank r is products[order[r]], so the hot set is not the first ids
  const order = products.map((_, i) => i)
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swapped = order[i]!
    order[i] = order[j]!
    order[j] = swapped
  }
  const targets = products.flatMap((p) => LOOKUPS.map((lookup, kind) => ({ path: targetOf(p, lookup), kind })))
  const sequence = zipfRanks(products.length, exponent, SEQUENCE_LENGTH, random).map(
    (rank) => order[rank]! * LOOKUPS.length + Math.floor(random() * LOOKUPS.length),
  )
  const access = createAccessService(db)
  const cashier = await access.createToken({ name: 'bench catalog-read', role: 'cashier' })
  const admin = await access.createToken({ name: 'bench catalog-read admin', role: 'admin' })
  return {
    products,
    targets,
    sequence,
    hottest: products[order[0]!]!,
    cashierToken: cashier.token,
    adminToken: admin.token,
  }
}

/** Products like a shop's: a category, a price, a tax rate, a barcode, and a box of 12 with its own barcode. */
async function insertProducts(db: Db, count: number): Promise<BenchProduct[]> {
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`.toUpperCase()
  await db.primary
    .insertInto('unit')
    .values([
      { code: 'each', name: 'each' },
      { code: 'box12', name: 'box of 12' },
    ])
    .onConflict((oc) => oc.column('code').doNothing())
    .execute()
  const category = await db.primary
    .insertInto('category')
    .values({ name: `Bench ${run}`, parent_id: null })
    .returning('id')
    .executeTakeFirstOrThrow()
  const indexes = Array.from({ length: count }, (_, i) => i)
  const { rows } = await sql<BenchProduct>`
    insert into product (sku, barcode, name, description, category_id, base_unit, price, tax_rate)
    select t.sku, t.barcode, t.name, '', ${category.id}, 'each', t.price, t.tax_rate
    from unnest(${indexes.map((i) => `CR-${run}-${i}`)}::text[], ${indexes.map((i) => `B${run}${i}`)}::text[],
      ${indexes.map((i) => `Bench product ${i}`)}::text[],
      ${indexes.map((i) => ((50 + ((i * 7919) % 1950)) / 100).toFixed(2))}::numeric[],
      ${indexes.map((i) => ['0', '7', '19'][i % 3]!)}::numeric[]) as t(sku, barcode, name, price, tax_rate)
    returning id, sku, barcode`.execute(db.primary)
  await sql`
    insert into product_unit (product_id, unit_code, factor, barcode)
    select id, 'box12', 12, 'C' || barcode from product where id = any(${rows.map((r) => r.id)}::bigint[])`.execute(db.primary)
  return rows
}
