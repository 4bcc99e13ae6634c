import type { Db, Executor } from '../../infra/db/database.ts'
import { decimalString, money } from '../../infra/decimal.ts'
import { conflict, invalid, notFound } from '../../infra/errors.ts'
import { type Principal, requireRole } from '../access/index.ts'
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
import type { ProductUnitRow } from './catalog.tables.ts'

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
}

function toProduct(row: repo.ProductWithCategoryRow, units: readonly ProductUnitRow[]) {
  return {
    id: row.id,
    sku: row.sku,
    barcode: row.barcode,
    name: row.name,
    description: row.description,
    category: row.category_id === null ? null : { id: row.category_id, name: row.category_name ?? '' },
    baseUnit: row.base_unit,
    price: money(row.price),
    taxRate: decimalString(row.tax_rate),
    active: row.active,
    units: units.map((u) => ({ unit: u.unit_code, factor: decimalString(u.factor), barcode: u.barcode })),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
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

async function loadProducts(db: Executor, rows: readonly repo.ProductWithCategoryRow[]): Promise<Product[]> {
  const units = await repo.findUnitsOfProducts(db, rows.map((r) => r.id))
  const byProduct = new Map<number, ProductUnitRow[]>()
  for (const unit of units) {
    const list = byProduct.get(unit.product_id)
    if (list) list.push(unit)
    else byProduct.set(unit.product_id, [unit])
  }
  return rows.map((row) => toProduct(row, byProduct.get(row.id) ?? []))
}

async function loadProduct(db: Executor, id: number): Promise<Product | undefined> {
  return (await loadProducts(db, await repo.findProductsByIds(db, [id])))[0]
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

export async function getProduct(db: Db, id: number): Promise<Product> {
  const product = await loadProduct(db.reader, id)
  if (!product) throw notFound('CATALOG_PRODUCT_NOT_FOUND', `No product with id ${id}.`)
  return product
}

/** Keyset pagination by id: pass `nextAfter` back as `after`. */
export async function listProducts(
  db: Db,
  filter: ProductListFilter = {},
): Promise<{ items: Product[]; nextAfter: number | null }> {
  const limit = filter.limit ?? 50
  // One row more than asked tells whether another page exists, so the last page says null.
  const rows = await repo.listProducts(db.reader, { ...filter, limit: limit + 1 })
  const page = rows.slice(0, limit)
  return {
    items: await loadProducts(db.reader, page),
    nextAfter: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
  }
}

/** By product barcode, unit barcode (a box) or SKU; says which unit the code stands for. */
export async function lookupProduct(db: Db, code: string): Promise<ProductLookup> {
  const match = await repo.findProductByCode(db.reader, code)
  const product = match ? await loadProduct(db.reader, match.product_id) : undefined
  if (!match || !product) throw notFound('CATALOG_PRODUCT_NOT_FOUND', `No product has the code ${code}.`, { code })
  const unit = match.unit_code ?? product.baseUnit
  const factor = product.units.find((u) => u.unit === unit)?.factor ?? '1'
  return { product, unit, factor, matchedBy: match.matched }
}

export async function createProduct(db: Db, principal: Principal, input: CreateProductInput): Promise<Product> {
  requireRole(principal, WRITERS)
  const price = readPrice(input.price, 'price')
  const taxRate = input.taxRate === undefined ? '0' : readTaxRate(input.taxRate, 'taxRate')
  const units = readUnits(input.units ?? [], input.baseUnit, 'units')
  const barcodes = barcodesOf(input.barcode, units)
  return translatingConflicts(() =>
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
      return (await loadProduct(trx, id))!
    }),
  )
}

export async function updateProduct(db: Db, principal: Principal, id: number, input: UpdateProductInput): Promise<Product> {
  requireRole(principal, WRITERS)
  const price = input.price === undefined ? undefined : readPrice(input.price, 'price')
  const taxRate = input.taxRate === undefined ? undefined : readTaxRate(input.taxRate, 'taxRate')
  return translatingConflicts(() =>
    db.primary.transaction().execute(async (trx) => {
      const current = await repo.lockProduct(trx, id)
      if (!current) throw notFound('CATALOG_PRODUCT_NOT_FOUND', `No product with id ${id}.`)
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
      return (await loadProduct(trx, id))!
    }),
  )
}
