/**
 * The catalog on the cache tiers (infra/cache): one shared object per product and per category,
 * and small index entries from a SKU or a scanned code to a product id. Every view — a product,
 * a page of products, a lookup, the lines of a sale — is built from these objects. The catalog's
 * writes evict here after their commits (`evictProducts`, `evictCategories`): the one place.
 *
 * Loads read the primary, never a replica: a copy that lags would be cached for the whole TTL. With
 * the cache off nothing is kept, so they are ordinary reads and go to the reader (replicas).
 * Index entries are hints, checked against the product they point to: a code a product gave up
 * (its SKU or a barcode changed) finds a product without it, and is read again.
 */
import type { Cache } from '../../infra/cache/cache.ts'
import { cacheReads } from '../../infra/cache/caches-of-database.ts'
import type { Db, Executor } from '../../infra/db/database.ts'
import { decimalString, money } from '../../infra/decimal.ts'
import { notFound } from '../../infra/errors.ts'
import * as repo from './catalog.repository.ts'
import { type Category, toCategory } from './catalog.units-and-categories.ts'

/** A product as cached: plain JSON, frozen, shared by every reader in the process. */
export interface ProductDoc {
  readonly id: number
  readonly sku: string
  readonly barcode: string | null
  readonly name: string
  readonly description: string
  readonly categoryId: number | null
  readonly baseUnit: string
  /** price of one base unit, two decimals */
  readonly price: string
  /** percent */
  readonly taxRate: string
  readonly active: boolean
  /** conversions to the base unit, in unit order (frozen like the rest) */
  readonly units: { readonly unit: string; readonly factor: string; readonly barcode: string | null }[]
  readonly createdAt: string
  readonly updatedAt: string
}

/** What a code names: a product, the unit the code stands for (null: the base unit), and how it matched. */
export interface CodeDoc {
  readonly productId: number
  readonly unit: string | null
  readonly matched: repo.CodeMatch
}

declare module '../../infra/cache/cache-keys.ts' {
  interface CachedValues {
    product: ProductDoc
    productSku: number
    productCode: CodeDoc
    category: Category
  }
}

export function productDocOf(row: repo.ProductDocRow): ProductDoc {
  return {
    id: row.id,
    sku: row.sku,
    barcode: row.barcode,
    name: row.name,
    description: row.description,
    categoryId: row.category_id,
    baseUnit: row.base_unit,
    price: money(row.price),
    taxRate: decimalString(row.tax_rate),
    active: row.active,
    units: row.units.map((u) => ({ unit: u.unit, factor: decimalString(u.factor), barcode: u.barcode })),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** The category a product row was read with (joined in the same statement). */
export function categoryOfRow(row: repo.ProductDocRow): Category | undefined {
  if (row.category_id === null || row.category_name === null || row.category_created_at === null) return undefined
  return toCategory({ id: row.category_id, name: row.category_name, parent_id: row.category_parent_id, created_at: row.category_created_at })
}

/** Whether a product still holds the code its index entry says it does. */
function holdsCode(doc: ProductDoc, code: string, match: CodeDoc): boolean {
  if (match.matched === 'barcode') return doc.barcode === code
  if (match.matched === 'unit_barcode') return doc.units.some((u) => u.barcode === code && u.unit === match.unit)
  return doc.sku === code
}

export interface ProductCodes {
  ids?: readonly number[]
  /** SKUs and barcodes, old and new, of the products written */
  codes?: readonly (string | null | undefined)[]
}

export type CatalogCache = ReturnType<typeof buildCatalogCache>

const catalogCaches = new WeakMap<Cache, CatalogCache>()

/** The catalog's reads and evictions on `cache`, its loaders registered once per cache. */
export function catalogCacheOf(cache: Cache, db: Db): CatalogCache {
  cacheReads(db, cache)
  let catalog = catalogCaches.get(cache)
  if (!catalog) {
    catalog = buildCatalogCache(cache, db)
    catalogCaches.set(cache, catalog)
  }
  return catalog
}

function buildCatalogCache(cache: Cache, db: Db) {
  /** Products and their categories from one statement, the categories kept as well. */
  async function loadProductRows(executor: Executor, keys: { ids?: readonly number[]; skus?: readonly string[] }) {
    const startedAt = Date.now()
    const rows = await repo.findProductDocs(executor, keys)
    cache.prime(
      'category',
      rows.flatMap((row) => {
        const category = categoryOfRow(row)
        return category ? [[category.id, category] as const] : []
      }),
      startedAt,
    )
    return { rows, startedAt }
  }

  const loadFrom = () => (cache.enabled ? db.primary : db.reader)
  cache.register('product', {
    async load(ids) {
      const { rows } = await loadProductRows(loadFrom(), { ids: ids.map(Number) })
      return new Map(rows.map((row) => [row.id, productDocOf(row)]))
    },
    notFound: (id) => notFound('CATALOG_PRODUCT_NOT_FOUND', `No product with id ${id}.`),
  })
  cache.register('productSku', {
    async load(skus) {
      const { rows, startedAt } = await loadProductRows(loadFrom(), { skus: skus.map(String) })
      const docs = rows.map(productDocOf)
      cache.prime('product', docs.map((doc) => [doc.id, doc] as const), startedAt)
      return new Map(docs.map((doc) => [doc.sku, doc.id]))
    },
    notFound: (sku) => notFound('CATALOG_PRODUCT_NOT_FOUND', `No product has the SKU ${sku}.`, { sku }),
  })
  cache.register('productCode', {
    async load(codes) {
      const rows = await repo.findProductsByCodes(loadFrom(), codes.map(String))
      return new Map(rows.map((r) => [r.code, { productId: r.product_id, unit: r.unit_code, matched: r.matched }]))
    },
    notFound: (code) => notFound('CATALOG_PRODUCT_NOT_FOUND', `No product has the code ${code}.`, { code }),
  })
  cache.register('category', {
    async load(ids) {
      const rows = await repo.findCategoriesByIds(loadFrom(), ids.map(Number))
      return new Map(rows.map((row) => [row.id, toCategory(row)]))
    },
    notFound: (id) => notFound('CATALOG_CATEGORY_NOT_FOUND', `No category with id ${id}.`),
  })

  async function products(ids: readonly number[]): Promise<Map<number, ProductDoc>> {
    return cache.findCachedDocs('product', ids)
  }

  /** Products by SKU; a SKU whose index entry points at a product that no longer has it is read again. */
  async function productsBySku(skus: readonly string[]): Promise<Map<string, ProductDoc>> {
    const found = new Map<string, ProductDoc>()
    for (let attempt = 0; attempt < 2 && found.size < skus.length; attempt++) {
      const wanted = skus.filter((sku) => !found.has(sku))
      const ids = await cache.findCachedDocs('productSku', wanted)
      const docs = await products([...new Set(ids.values())])
      const stale: string[] = []
      for (const [sku, id] of ids) {
        const doc = docs.get(id)
        if (doc?.sku === sku) found.set(sku, doc)
        else stale.push(sku)
      }
      if (stale.length === 0) break
      await cache.evict('productSku', stale)
    }
    return found
  }

  /** By product barcode, unit barcode or SKU: the product and what the code matched; undefined when nothing has it. */
  async function productByCode(code: string): Promise<{ doc: ProductDoc; match: CodeDoc } | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const match = await cache.findCachedDoc('productCode', code)
      if (match === undefined) return undefined
      const doc = await cache.findCachedDoc('product', match.productId)
      if (doc && holdsCode(doc, code, match)) return { doc, match }
      await cache.evict('productCode', [code])
    }
    return undefined
  }

  /** productByCode's answer if memory holds both entries and they agree, without waiting; else undefined. */
  function peekProductByCode(code: string): { doc: ProductDoc; match: CodeDoc } | undefined {
    const match = cache.peekCachedDoc('productCode', code)
    if (!match) return undefined
    const doc = cache.peekCachedDoc('product', match.productId)
    return doc && holdsCode(doc, code, match) ? { doc, match } : undefined
  }

  async function categories(ids: readonly (number | null)[]): Promise<Map<number, Category>> {
    const wanted = [...new Set(ids.filter((id): id is number => id !== null))]
    return cache.findCachedDocs('category', wanted)
  }

  /**
   * After a commit that wrote these products: their entries, and the index entries of every code
   * they held or hold (a new code may have been remembered as naming nothing), everywhere.
   */
  async function evictProducts({ ids = [], codes = [] }: ProductCodes): Promise<void> {
    const named = [...new Set(codes.filter((c): c is string => typeof c === 'string'))]
    await cache.evictMany([
      { kind: 'product', ids },
      { kind: 'productSku', ids: named },
      { kind: 'productCode', ids: named },
    ])
  }

  /** After a commit that created or changed these categories. */
  async function evictCategories(ids: readonly number[]): Promise<void> {
    await cache.evict('category', ids)
  }

  return { cache, db, products, productsBySku, productByCode, peekProductByCode, categories, evictProducts, evictCategories, loadProductRows }
}
