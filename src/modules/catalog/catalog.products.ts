import type { Executor } from '../../infra/db/database.ts'
import { conflict, invalid, notFound } from '../../infra/errors.ts'
import { type Principal, requireRole } from '../access/index.ts'
import { type CatalogCache, type CodeDoc, categoryOfRow, type ProductDoc, productDocOf } from './catalog.cache.ts'
import { fieldOf } from './catalog.quantities.ts'
import * as repo from './catalog.repository.ts'
import {
  barcodesOf,
  type DecimalValue,
  type ProductUnitInput,
  readPrice,
  readTaxRate,
  readUnits,
  requireCategory,
  translatingConflicts,
  WRITERS,
} from './catalog.rules.ts'
import type { Category } from './catalog.units-and-categories.ts'

export interface CreateProductInput {
  sku: string
  barcode?: string | null | undefined
  name: string
  description?: string | undefined
  categoryId?: number | null | undefined
  baseUnit: string
  price: DecimalValue
  /** percent, 0–100 */
  taxRate?: DecimalValue | undefined
  active?: boolean | undefined
  units?: ProductUnitInput[] | undefined
}

/** Every field optional; `units`, when given, becomes the product's complete set of conversions. */
export type UpdateProductInput = Partial<CreateProductInput>

export interface ProductListFilter {
  after?: number | undefined
  limit?: number | undefined
  categoryId?: number | undefined
  active?: boolean | undefined
  q?: string | undefined
  /** by id (default), name or price; `after` only makes sense by id */
  sort?: 'name' | 'price' | undefined
  /** products to skip (numbered pages) */
  offset?: number | undefined
}

/** The API's product: the cached product with its category's name. */
export function toProduct(doc: ProductDoc, category: Category | undefined) {
  return {
    id: doc.id,
    sku: doc.sku,
    barcode: doc.barcode,
    name: doc.name,
    description: doc.description,
    category: doc.categoryId === null ? null : { id: doc.categoryId, name: category?.name ?? '' },
    baseUnit: doc.baseUnit,
    price: doc.price,
    taxRate: doc.taxRate,
    active: doc.active,
    units: doc.units,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  }
}

export type Product = ReturnType<typeof toProduct>

export interface ProductLookup {
  product: Product
  /** the unit the code stands for: the base unit for a product barcode or SKU */
  unit: string
  /** base units in one `unit` */
  factor: string
  matchedBy: repo.CodeMatch
}

/** A product as a write left it, read in its transaction (never from the cache, which the commit has not reached yet). */
async function readWritten(trx: Executor, id: number): Promise<Product> {
  const [row] = await repo.findProductDocs(trx, { ids: [id] })
  return toProduct(productDocOf(row!), categoryOfRow(row!))
}

/** The units a product names exist; `fields` maps each request path (`units[0].unit`) to its unit code. */
async function requireUnits(db: Executor, fields: ReadonlyMap<string, string>): Promise<void> {
  const found = await repo.findUnitCodes(db, [...new Set(fields.values())])
  const unknown = [...fields].filter(([, code]) => !found.has(code))
  if (unknown.length > 0) {
    const missing = [...new Set(unknown.map(([, code]) => code))]
    throw invalid('CATALOG_UNKNOWN_UNIT', `Unknown unit: ${unknown.map(([path, code]) => `${path} ${code}`).join(', ')}.`, {
      units: missing,
      fields: unknown.map(([path]) => fieldOf(path)),
    })
  }
}

const unitFields = (units: readonly { unit: string }[]) => units.map((u, i): [string, string] => [`units[${i}].unit`, u.unit])

/** Cross-table check the unique constraints cannot make: a barcode names one product only. */
async function requireFreeBarcodes(db: Executor, barcodes: readonly string[], productId: number | null): Promise<void> {
  const taken = (await repo.findBarcodeOwners(db, barcodes)).filter((o) => o.product_id !== productId)
  if (taken.length > 0) {
    throw conflict('CATALOG_BARCODE_EXISTS', `Barcode ${taken.map((t) => `${t.barcode} (${t.sku})`).join(', ')} is taken.`, {
      barcodes: taken.map((t) => ({ barcode: t.barcode, sku: t.sku, unit: t.unit_code })),
    })
  }
}

/**
 * The product's cached objects if memory holds them (its category too), without waiting; undefined
 * when getProduct must read further.
 */
export function peekProduct(catalog: CatalogCache, id: number): { doc: ProductDoc; category: Category | undefined } | undefined {
  const doc = catalog.cache.peekCachedDoc('product', id)
  if (!doc) return undefined
  const category = peekCategoryOf(catalog, doc)
  return category === null ? undefined : { doc, category }
}

export async function getProduct(catalog: CatalogCache, id: number): Promise<Product> {
  const doc = await catalog.cache.getCachedDoc('product', id)
  return toProduct(doc, doc.categoryId === null ? undefined : (await catalog.categories([doc.categoryId])).get(doc.categoryId))
}

/** Keyset pagination by id: pass `nextAfter` back as `after`. A page of ids, then its products from the cache. */
export async function listProducts(
  catalog: CatalogCache,
  filter: ProductListFilter = {},
): Promise<{ items: Product[]; nextAfter: number | null }> {
  const limit = filter.limit ?? 50
  // One id more than asked tells whether another page exists, so the last page says null.
  const ids = await repo.listProductIds(catalog.db.reader, { ...filter, limit: limit + 1 })
  const page = ids.slice(0, limit)
  const docs = await catalog.products(page)
  const categories = await catalog.categories([...docs.values()].map((d) => d.categoryId))
  const items = page.flatMap((id) => {
    const doc = docs.get(id)
    return doc ? [toProduct(doc, doc.categoryId === null ? undefined : categories.get(doc.categoryId))] : []
  })
  return { items, nextAfter: ids.length > limit ? (page[page.length - 1] ?? null) : null }
}

/** The cached objects a lookup's answer is built from. */
export interface CachedLookup {
  doc: ProductDoc
  match: CodeDoc
  category: Category | undefined
}

export function toLookup({ doc, match, category }: CachedLookup): ProductLookup {
  const unit = match.unit ?? doc.baseUnit
  const factor = doc.units.find((u) => u.unit === unit)?.factor ?? '1'
  return { product: toProduct(doc, category), unit, factor, matchedBy: match.matched }
}

/** By product barcode, unit barcode (a box) or SKU; says which unit the code stands for. */
export async function lookupProduct(catalog: CatalogCache, code: string): Promise<ProductLookup> {
  const found = await catalog.productByCode(code)
  if (!found) throw notFound('CATALOG_PRODUCT_NOT_FOUND', `No product has the code ${code}.`, { code })
  const categoryId = found.doc.categoryId
  const category = categoryId === null ? undefined : (await catalog.categories([categoryId])).get(categoryId)
  return toLookup({ ...found, category })
}

/** lookupProduct's objects if memory holds them all, without waiting; undefined when it must read further. */
export function peekLookup(catalog: CatalogCache, code: string): CachedLookup | undefined {
  const found = catalog.peekProductByCode(code)
  if (found === undefined) return undefined
  const category = peekCategoryOf(catalog, found.doc)
  return category === null ? undefined : { ...found, category }
}

/** A product's category from memory: undefined for none, null when memory does not hold it. */
function peekCategoryOf(catalog: CatalogCache, doc: ProductDoc): Category | undefined | null {
  if (doc.categoryId === null) return undefined
  return catalog.cache.peekCachedDoc('category', doc.categoryId) ?? null
}

export async function createProduct(catalog: CatalogCache, principal: Principal, input: CreateProductInput): Promise<Product> {
  requireRole(principal, WRITERS)
  const { db } = catalog
  const price = readPrice(input.price, 'price')
  const taxRate = input.taxRate === undefined ? '0' : readTaxRate(input.taxRate, 'taxRate')
  const units = readUnits(input.units ?? [], input.baseUnit, 'units')
  const barcodes = barcodesOf(input.barcode, units)
  const product = await translatingConflicts(() =>
    db.primary.transaction().execute(async (trx) => {
      await requireUnits(trx, new Map([['baseUnit', input.baseUnit], ...unitFields(units)]))
      if (input.categoryId != null) await requireCategory(trx, input.categoryId)
      await requireFreeBarcodes(trx, barcodes, null)
      const { id } = await repo.insertProduct(trx, {
        sku: input.sku,
        barcode: input.barcode ?? null,
        name: input.name,
        description: input.description ?? '',
        categoryId: input.categoryId ?? null,
        baseUnit: input.baseUnit,
        price,
        taxRate,
        active: input.active ?? true,
      })
      if (units.length > 0) await repo.replaceProductUnits(trx, [id], units.map((u) => ({ productId: id, ...u })))
      return readWritten(trx, id)
    }),
  )
  // an id or a code looked up before it existed is remembered as naming nothing
  await catalog.evictProducts({ ids: [product.id], codes: [input.sku, ...barcodes] })
  return product
}

export async function updateProduct(
  catalog: CatalogCache,
  principal: Principal,
  id: number,
  input: UpdateProductInput,
): Promise<Product> {
  requireRole(principal, WRITERS)
  const { db } = catalog
  let before: { sku: string; barcode: string | null } | undefined
  const price = input.price === undefined ? undefined : readPrice(input.price, 'price')
  const taxRate = input.taxRate === undefined ? undefined : readTaxRate(input.taxRate, 'taxRate')
  const product = await translatingConflicts(() =>
    db.primary.transaction().execute(async (trx) => {
      const current = await repo.lockProduct(trx, id)
      if (!current) throw notFound('CATALOG_PRODUCT_NOT_FOUND', `No product with id ${id}.`)
      before = current
      if (input.baseUnit !== undefined && input.baseUnit !== current.base_unit) {
        throw invalid(
          'CATALOG_BASE_UNIT_IMMUTABLE',
          `The base unit of a product cannot change (it is ${current.base_unit}); stock is kept in that unit.`,
        )
      }
      const units = input.units === undefined ? undefined : readUnits(input.units, current.base_unit, 'units')
      const barcodes = barcodesOf(input.barcode, units)
      if (units !== undefined) await requireUnits(trx, new Map(unitFields(units)))
      if (input.categoryId != null) await requireCategory(trx, input.categoryId)
      await requireFreeBarcodes(trx, barcodes, id)
      await repo.updateProduct(trx, id, {
        sku: input.sku,
        barcode: input.barcode,
        name: input.name,
        description: input.description,
        categoryId: input.categoryId,
        price,
        taxRate,
        active: input.active,
      })
      if (units !== undefined) await repo.replaceProductUnits(trx, [id], units.map((u) => ({ productId: id, ...u })))
      return readWritten(trx, id)
    }),
  )
  // After the commit, and only then. Unit barcodes it gave up are caught when read (catalog.cache.ts).
  const codes = [before?.sku, before?.barcode, product.sku, product.barcode, ...product.units.map((u) => u.barcode)]
  await catalog.evictProducts({ ids: [id], codes })
  return product
}
