import type { Db, Executor } from '../../infra/db/database.ts'
import { type Big, decimalString, money, parseDecimal } from '../../infra/decimal.ts'
import { AppError, conflict, invalid, notFound } from '../../infra/errors.ts'
import { type Principal, requireRole } from '../access/index.ts'
import * as repo from './catalog.repository.ts'
import type { CategoryRow, ProductUnitRow, UnitRow } from './catalog.tables.ts'

/** Lines per bulk-upsert chunk: each chunk is one short transaction of a fixed number of statements. */
export const BULK_CHUNK_SIZE = 1000
/** At most this many problem lines are listed in an error's details (the count is always exact). */
const LISTED_PROBLEMS = 100
const WRITERS = ['admin', 'manager'] as const

type DecimalValue = string | number

export interface CreateUnitInput {
  code: string
  name: string
}

export interface CreateCategoryInput {
  name: string
  parentId?: number | null | undefined
}

export interface ProductUnitInput {
  unit: string
  /** base units in one of this unit: 12 for a box of 12 'each', 0.001 for 'g' of a 'kg' product */
  factor: DecimalValue
  barcode?: string | null | undefined
}

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

/** A bulk line, keyed by SKU. Fields left out keep their stored value when the SKU exists. */
export interface BulkProductInput {
  sku: string
  barcode?: string | null | undefined
  name: string
  description?: string | undefined
  /** category by name, created when missing; null: no category */
  category?: string | null | undefined
  baseUnit: string
  price: DecimalValue
  taxRate?: DecimalValue | undefined
  active?: boolean | undefined
  /** when given, the product's complete set of conversions */
  units?: ProductUnitInput[] | undefined
}

export interface BulkUpsertInput {
  products: readonly BulkProductInput[]
}

export interface BulkUpsertProgress {
  done: number
  total: number
}

export interface BulkUpsertOptions {
  /** called after every committed chunk */
  onProgress?: ((progress: BulkUpsertProgress) => void) | undefined
}

export interface BulkUpsertResult {
  total: number
  created: number
  updated: number
  categoriesCreated: number
}

export interface ProductListFilter {
  after?: number | undefined
  limit?: number | undefined
  categoryId?: number | undefined
  active?: boolean | undefined
  q?: string | undefined
}

function toUnit(row: UnitRow) {
  return { code: row.code, name: row.name }
}

export type Unit = ReturnType<typeof toUnit>

function toCategory(row: CategoryRow) {
  return { id: row.id, name: row.name, parentId: row.parent_id, createdAt: row.created_at.toISOString() }
}

export type Category = ReturnType<typeof toCategory>

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

function readDecimal(
  value: DecimalValue,
  field: string,
  code: string,
  rule: { places: number; positive?: boolean; max: string },
): string {
  let n: Big
  try {
    n = parseDecimal(value, field)
  } catch {
    throw invalid(code, `${field} is not a decimal number.`, { field })
  }
  if (rule.positive ? n.lte(0) : n.lt(0)) {
    throw invalid(code, `${field} must be ${rule.positive ? 'above' : 'at least'} 0.`, { field })
  }
  if (!n.round(rule.places, 0).eq(n)) throw invalid(code, `${field} may have at most ${rule.places} decimals.`, { field })
  if (n.gt(rule.max)) throw invalid(code, `${field} must be at most ${rule.max}.`, { field })
  return n.toFixed()
}

// Limits are the columns' own: numeric(14,2), numeric(6,3) with a check to 100, numeric(20,9).
const readPrice = (value: DecimalValue, field: string) =>
  readDecimal(value, field, 'CATALOG_INVALID_PRICE', { places: 2, max: '999999999999.99' })
const readTaxRate = (value: DecimalValue, field: string) =>
  readDecimal(value, field, 'CATALOG_INVALID_TAX_RATE', { places: 3, max: '100' })
const readFactor = (value: DecimalValue, field: string) =>
  readDecimal(value, field, 'CATALOG_INVALID_FACTOR', { places: 9, positive: true, max: '99999999999.999999999' })

function readUnits(units: readonly ProductUnitInput[], baseUnit: string, field: string) {
  const seen = new Set<string>()
  return units.map((u, i) => {
    if (u.unit === baseUnit) {
      throw invalid('CATALOG_BASE_UNIT_CONVERSION', `${field}[${i}]: the base unit ${baseUnit} always has factor 1.`, {
        field: `${field}[${i}]`,
      })
    }
    if (seen.has(u.unit)) {
      throw invalid('CATALOG_DUPLICATE_UNIT', `${field}[${i}]: unit ${u.unit} is listed twice.`, { field: `${field}[${i}]` })
    }
    seen.add(u.unit)
    return { unit: u.unit, factor: readFactor(u.factor, `${field}[${i}].factor`), barcode: u.barcode ?? null }
  })
}

function barcodesOf(barcode: string | null | undefined, units: readonly { barcode: string | null }[] = []): string[] {
  const all = [barcode, ...units.map((u) => u.barcode)].filter((b): b is string => typeof b === 'string')
  const twice = all.find((b, i) => all.indexOf(b) !== i)
  if (twice !== undefined) throw invalid('CATALOG_DUPLICATE_BARCODE', `Barcode ${twice} is used twice.`, { barcode: twice })
  return all
}

function listed<T>(problems: readonly T[]) {
  return { count: problems.length, lines: problems.slice(0, LISTED_PROBLEMS) }
}

/** Maps a Postgres unique violation (SQLSTATE 23505) to a 409 by constraint name; both pg and PGlite set `.constraint`. */
function conflictFromUniqueViolation(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { code, constraint } = error as { code?: unknown; constraint?: unknown }
  if (code !== '23505') return undefined
  switch (constraint) {
    case 'product_sku_unique':
      return conflict('CATALOG_SKU_EXISTS', 'A product with this SKU exists already.')
    case 'product_barcode_unique':
    case 'product_unit_barcode_unique':
      return conflict('CATALOG_BARCODE_EXISTS', 'This barcode belongs to another product already.')
    default:
      return undefined
  }
}

async function translatingConflicts<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw conflictFromUniqueViolation(error) ?? error
  }
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

async function requireUnits(db: Executor, codes: readonly string[]): Promise<void> {
  const wanted = [...new Set(codes)]
  const found = await repo.findUnitCodes(db, wanted)
  const missing = wanted.filter((code) => !found.has(code))
  if (missing.length > 0) throw invalid('CATALOG_UNKNOWN_UNIT', `Unknown unit: ${missing.join(', ')}.`, { units: missing })
}

async function requireCategory(db: Executor, id: number): Promise<void> {
  if (!(await repo.findCategory(db, id))) throw invalid('CATALOG_UNKNOWN_CATEGORY', `Unknown category: ${id}.`, { categoryId: id })
}

/** Cross-table check the unique constraints cannot make: a barcode names one product only. */
async function requireFreeBarcodes(db: Executor, barcodes: readonly string[], productId: number | null): Promise<void> {
  const taken = (await repo.findBarcodeOwners(db, barcodes)).filter((o) => o.product_id !== productId)
  if (taken.length > 0) {
    throw conflict('CATALOG_BARCODE_EXISTS', `Barcode ${taken.map((t) => `${t.barcode} (${t.sku})`).join(', ')} is taken.`, {
      barcodes: taken.map((t) => ({ barcode: t.barcode, sku: t.sku, unit: t.unit_code })),
    })
  }
}

interface PreparedLine {
  line: number
  row: repo.ProductUpsertRow
  units: { unit: string; factor: string; barcode: string | null }[] | undefined
}

/** Pure checks of every bulk line, reported together; throws before anything is read or written. */
function prepareBulkLines(products: readonly BulkProductInput[]): PreparedLine[] {
  const problems: { line: number; sku: string; code: string; message: string }[] = []
  const prepared: PreparedLine[] = []
  const skuLine = new Map<string, number>()
  const barcodeLine = new Map<string, number>()
  products.forEach((p, line) => {
    const report = (code: string, message: string) => problems.push({ line, sku: p.sku, code, message })
    const firstSku = skuLine.get(p.sku)
    if (firstSku !== undefined) report('CATALOG_DUPLICATE_SKU', `SKU ${p.sku} is on line ${firstSku} already.`)
    skuLine.set(p.sku, line)
    try {
      const units = p.units === undefined ? undefined : readUnits(p.units, p.baseUnit, 'units')
      for (const barcode of barcodesOf(p.barcode, units)) {
        const first = barcodeLine.get(barcode)
        if (first !== undefined) report('CATALOG_DUPLICATE_BARCODE', `Barcode ${barcode} is on line ${first} already.`)
        barcodeLine.set(barcode, line)
      }
      prepared.push({
        line,
        units,
        row: {
          sku: p.sku,
          barcode: p.barcode,
          name: p.name,
          description: p.description,
          category: p.category,
          baseUnit: p.baseUnit,
          price: readPrice(p.price, 'price'),
          taxRate: p.taxRate === undefined ? undefined : readTaxRate(p.taxRate, 'taxRate'),
          active: p.active,
        },
      })
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      report(error.code, error.message)
    }
  })
  if (problems.length > 0) {
    throw invalid('CATALOG_INVALID_PRODUCTS', `${problems.length} product line(s) are not valid.`, listed(problems))
  }
  return prepared
}

/** Checks every line against the database — units, base units, barcodes — in a fixed number of statements. */
async function checkBulkReferences(db: Executor, lines: readonly PreparedLine[]): Promise<void> {
  const codesOf = (l: PreparedLine) => [l.row.baseUnit, ...(l.units ?? []).map((u) => u.unit)]
  const known = await repo.findUnitCodes(db, [...new Set(lines.flatMap(codesOf))])
  const unknownUnits = lines.flatMap((l) => {
    const units = [...new Set(codesOf(l).filter((code) => !known.has(code)))]
    return units.length > 0 ? [{ line: l.line, sku: l.row.sku, units }] : []
  })
  if (unknownUnits.length > 0) {
    throw invalid(
      'CATALOG_UNKNOWN_UNIT',
      `${unknownUnits.length} line(s) use a unit that does not exist: ${[...new Set(unknownUnits.flatMap((u) => u.units))].join(', ')}.`,
      listed(unknownUnits),
    )
  }

  const stored = new Map((await repo.findProductsBySkus(db, lines.map((l) => l.row.sku))).map((p) => [p.sku, p.base_unit]))
  const changedBase = lines.flatMap((l) => {
    const current = stored.get(l.row.sku)
    return current !== undefined && current !== l.row.baseUnit
      ? [{ line: l.line, sku: l.row.sku, baseUnit: current, requested: l.row.baseUnit }]
      : []
  })
  if (changedBase.length > 0) {
    throw invalid(
      'CATALOG_BASE_UNIT_IMMUTABLE',
      `${changedBase.length} line(s) change the base unit of an existing product; stock is kept in that unit.`,
      listed(changedBase),
    )
  }

  const claims = lines.flatMap((l) => barcodesOf(l.row.barcode, l.units).map((barcode) => ({ barcode, line: l })))
  const owners = await repo.findBarcodeOwners(db, claims.map((c) => c.barcode))
  const ownerOf = new Map(owners.map((o) => [o.barcode, o.sku]))
  const taken = claims.flatMap(({ barcode, line }) => {
    const owner = ownerOf.get(barcode)
    return owner !== undefined && owner !== line.row.sku ? [{ line: line.line, sku: line.row.sku, barcode, ownerSku: owner }] : []
  })
  if (taken.length > 0) {
    throw conflict('CATALOG_BARCODE_EXISTS', `${taken.length} line(s) use a barcode of another product.`, listed(taken))
  }
}

export function createCatalogService(db: Db) {
  return {
    async listUnits(): Promise<Unit[]> {
      return (await repo.listUnits(db.reader)).map(toUnit)
    },

    async createUnit(principal: Principal, input: CreateUnitInput): Promise<Unit> {
      requireRole(principal, WRITERS)
      const row = await repo.insertUnit(db.primary, { code: input.code, name: input.name })
      if (!row) throw conflict('CATALOG_UNIT_EXISTS', `A unit with code "${input.code}" exists already.`)
      return toUnit(row)
    },

    async listCategories(): Promise<Category[]> {
      return (await repo.listCategories(db.reader)).map(toCategory)
    },

    async createCategory(principal: Principal, input: CreateCategoryInput): Promise<Category> {
      requireRole(principal, WRITERS)
      const parentId = input.parentId ?? null
      if (parentId !== null) await requireCategory(db.primary, parentId)
      const row = await repo.insertCategory(db.primary, { name: input.name, parentId })
      if (!row) throw conflict('CATALOG_CATEGORY_EXISTS', `A category named "${input.name}" exists already.`)
      return toCategory(row)
    },

    async getProduct(id: number): Promise<Product> {
      const product = await loadProduct(db.reader, id)
      if (!product) throw notFound('CATALOG_PRODUCT_NOT_FOUND', `No product with id ${id}.`)
      return product
    },

    /** Keyset pagination by id: pass `nextAfter` back as `after`. */
    async listProducts(filter: ProductListFilter = {}): Promise<{ items: Product[]; nextAfter: number | null }> {
      const limit = filter.limit ?? 50
      // One row more than asked tells whether another page exists, so the last page says null.
      const rows = await repo.listProducts(db.reader, { ...filter, limit: limit + 1 })
      const page = rows.slice(0, limit)
      return {
        items: await loadProducts(db.reader, page),
        nextAfter: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
      }
    },

    /** By product barcode, unit barcode (a box) or SKU; says which unit the code stands for. */
    async lookupProduct(code: string): Promise<ProductLookup> {
      const match = await repo.findProductByCode(db.reader, code)
      const product = match ? await loadProduct(db.reader, match.product_id) : undefined
      if (!match || !product) throw notFound('CATALOG_PRODUCT_NOT_FOUND', `No product has the code ${code}.`, { code })
      const unit = match.unit_code ?? product.baseUnit
      const factor = product.units.find((u) => u.unit === unit)?.factor ?? '1'
      return { product, unit, factor, matchedBy: match.matched }
    },

    async createProduct(principal: Principal, input: CreateProductInput): Promise<Product> {
      requireRole(principal, WRITERS)
      const price = readPrice(input.price, 'price')
      const taxRate = input.taxRate === undefined ? '0' : readTaxRate(input.taxRate, 'taxRate')
      const units = readUnits(input.units ?? [], input.baseUnit, 'units')
      const barcodes = barcodesOf(input.barcode, units)
      return translatingConflicts(() =>
        db.primary.transaction().execute(async (trx) => {
          await requireUnits(trx, [input.baseUnit, ...units.map((u) => u.unit)])
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
    },

    async updateProduct(principal: Principal, id: number, input: UpdateProductInput): Promise<Product> {
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
          if (units !== undefined) await requireUnits(trx, units.map((u) => u.unit))
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
    },

    /**
     * Inserts or updates products by SKU. Every line is checked first (fields, units, base units,
     * barcodes), so bad input writes nothing. Missing categories named by lines are then created,
     * and the lines are written in chunks of BULK_CHUNK_SIZE, one short transaction each holding
     * two statements (products, then their units) whatever the chunk size. If a chunk still fails
     * (a concurrent writer took a barcode), earlier chunks stay committed; rerunning is safe.
     */
    async bulkUpsertProducts(
      principal: Principal,
      input: BulkUpsertInput,
      options: BulkUpsertOptions = {},
    ): Promise<BulkUpsertResult> {
      requireRole(principal, WRITERS)
      const lines = prepareBulkLines(input.products)
      await checkBulkReferences(db.primary, lines)

      const categoryNames = [...new Set(lines.flatMap((l) => (typeof l.row.category === 'string' ? [l.row.category] : [])))]
      const categoriesCreated = categoryNames.length > 0 ? (await repo.insertMissingCategories(db.primary, categoryNames)).length : 0

      const result: BulkUpsertResult = { total: lines.length, created: 0, updated: 0, categoriesCreated }
      for (let start = 0; start < lines.length; start += BULK_CHUNK_SIZE) {
        const chunk = lines.slice(start, start + BULK_CHUNK_SIZE)
        const upserted = await translatingConflicts(() =>
          db.primary.transaction().execute(async (trx) => {
            const rows = await repo.upsertProducts(trx, chunk.map((l) => l.row))
            const idOf = new Map(rows.map((r) => [r.sku, r.id]))
            const withUnits = chunk.filter((l) => l.units !== undefined)
            await repo.replaceProductUnits(
              trx,
              withUnits.map((l) => idOf.get(l.row.sku)!),
              withUnits.flatMap((l) => (l.units ?? []).map((u) => ({ productId: idOf.get(l.row.sku)!, ...u }))),
            )
            return rows
          }),
        )
        for (const row of upserted) {
          if (row.inserted) result.created += 1
          else result.updated += 1
        }
        options.onProgress?.({ done: start + chunk.length, total: lines.length })
      }
      return result
    },
  }
}

export type CatalogService = ReturnType<typeof createCatalogService>
