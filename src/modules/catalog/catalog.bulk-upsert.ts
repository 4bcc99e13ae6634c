import type { Transaction } from 'kysely'
import type { Database, Db, Executor } from '../../infra/db/database.ts'
import { AppError, conflict, invalid } from '../../infra/errors.ts'
import { type Principal, requireRole } from '../access/index.ts'
import type { CatalogCache } from './catalog.cache.ts'
import type { CreateProductInput } from './catalog.products.ts'
import { namesForMessage, withFields } from './catalog.quantities.ts'
import * as repo from './catalog.repository.ts'
import {
  barcodesOf,
  readPrice,
  readTaxRate,
  readUnits,
  translatingConflicts,
  WRITERS,
} from './catalog.rules.ts'

/** Lines per bulk-upsert chunk: each chunk is one short transaction of a fixed number of statements. */
export const BULK_CHUNK_SIZE = 1000
/** At most this many problem lines are listed in an error's details (the count is always exact). */
const LISTED_PROBLEMS = 100

/**
 * A bulk line: a product as created one at a time, but keyed by SKU and naming its category.
 * Fields left out keep their stored value when the SKU exists; `units`, when given, is the
 * product's complete set of conversions.
 */
export interface BulkProductInput extends Omit<CreateProductInput, 'categoryId'> {
  /** category by name, created when missing; null: no category */
  category?: string | null | undefined
}

export interface BulkUpsertInput {
  products: readonly BulkProductInput[]
}

export interface BulkUpsertProgress {
  done: number
  total: number
}

export interface BulkUpsertOptions {
  /** called after every committed chunk, and awaited before the next one is written */
  onProgress?: ((progress: BulkUpsertProgress) => void | Promise<void>) | undefined
}

export interface BulkUpsertResult {
  total: number
  created: number
  updated: number
  categoriesCreated: number
}

function listed<T>(problems: readonly T[]) {
  return { count: problems.length, lines: problems.slice(0, LISTED_PROBLEMS) }
}

/** The request lines of `problems` for a message: `products[1], products[4]`. */
const pathsOf = (problems: readonly { path: string }[]) => namesForMessage([...new Set(problems.map((p) => p.path))])

/** A bulk line checked on its own (fields, decimals, units): what the writers take. */
export interface PreparedLine {
  /** where the line is in its input: `products[3]` in a request, '' in an import (fields are then bare: `price`) */
  path: string
  row: repo.ProductUpsertRow
  units: repo.UnitConversionValues[] | undefined
}

/** `name` under `path`: `products[3].price`, or `price` when the path is ''. */
const under = (path: string, name: string) => (path === '' ? name : `${path}.${name}`)

/** The pure checks of one line: throws the AppError of its first problem. */
export function prepareProductLine(p: BulkProductInput, path: string): PreparedLine {
  const units = p.units === undefined ? undefined : readUnits(p.units, p.baseUnit, under(path, 'units'))
  barcodesOf(p.barcode, units)
  return {
    path,
    units,
    row: {
      sku: p.sku,
      barcode: p.barcode,
      name: p.name,
      description: p.description,
      category: p.category,
      baseUnit: p.baseUnit,
      price: readPrice(p.price, under(path, 'price')),
      taxRate: p.taxRate === undefined ? undefined : readTaxRate(p.taxRate, under(path, 'taxRate')),
      active: p.active,
    },
  }
}

/** Pure checks of every bulk line, reported together; throws before anything is read or written. */
function prepareBulkLines(products: readonly BulkProductInput[]): PreparedLine[] {
  const problems: { path: string; sku: string; code: string; message: string }[] = []
  const prepared: PreparedLine[] = []
  const skuPath = new Map<string, string>()
  const barcodePath = new Map<string, string>()
  products.forEach((p, index) => {
    const path = `products[${index}]`
    const report = (code: string, message: string) => problems.push({ path, sku: p.sku, code, message })
    const firstSku = skuPath.get(p.sku)
    if (firstSku !== undefined) report('CATALOG_DUPLICATE_SKU', `${path}: SKU ${p.sku} is on ${firstSku} already.`)
    skuPath.set(p.sku, path)
    try {
      const line = prepareProductLine(p, path)
      for (const barcode of barcodesOf(p.barcode, line.units)) {
        const first = barcodePath.get(barcode)
        if (first !== undefined) report('CATALOG_DUPLICATE_BARCODE', `${path}: barcode ${barcode} is on ${first} already.`)
        barcodePath.set(barcode, path)
      }
      prepared.push(line)
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      report(error.code, error.message.startsWith(path) ? error.message : `${path}: ${error.message}`)
    }
  })
  if (problems.length > 0) {
    throw invalid(
      'CATALOG_INVALID_PRODUCTS',
      `${problems.length} problem(s) in product lines ${pathsOf(problems)}; each is in the details.`,
      listed(withFields(problems)),
    )
  }
  return prepared
}

/** What the database says against lines: unknown units, changed base units, barcodes of other products (1 statement). */
async function findReferenceProblems(db: Executor, lines: readonly PreparedLine[]) {
  if (lines.length === 0) return { unknownUnits: [], changedBase: [], taken: [] }
  const codesOf = (l: PreparedLine) => [l.row.baseUnit, ...(l.units ?? []).map((u) => u.unit)]
  const claims = lines.flatMap((l) => barcodesOf(l.row.barcode, l.units).map((barcode) => ({ barcode, line: l })))
  const found = await repo.findBulkReferences(db, {
    unitCodes: [...new Set(lines.flatMap(codesOf))],
    skus: lines.map((l) => l.row.sku),
    barcodes: claims.map((c) => c.barcode),
  })

  const unknownUnits = lines.flatMap((l) => {
    const units = [...new Set(codesOf(l).filter((code) => !found.unitCodes.has(code)))]
    return units.length > 0 ? [{ path: l.path, sku: l.row.sku, units, line: l }] : []
  })

  const stored = new Map(found.products.map((p) => [p.sku, p.base_unit]))
  const changedBase = lines.flatMap((l) => {
    const current = stored.get(l.row.sku)
    return current !== undefined && current !== l.row.baseUnit
      ? [{ path: l.path, sku: l.row.sku, baseUnit: current, requested: l.row.baseUnit, line: l }]
      : []
  })

  const ownerOf = new Map(found.owners.map((o) => [o.barcode, o.sku]))
  const taken = claims.flatMap(({ barcode, line }) => {
    const owner = ownerOf.get(barcode)
    return owner !== undefined && owner !== line.row.sku ? [{ path: line.path, sku: line.row.sku, barcode, ownerSku: owner, line }] : []
  })
  return { unknownUnits, changedBase, taken }
}

/** Checks every line against the database — units, base units, barcodes — in a fixed number of statements. */
async function checkBulkReferences(db: Executor, lines: readonly PreparedLine[]): Promise<void> {
  const { unknownUnits, changedBase, taken } = await findReferenceProblems(db, lines)
  const detailsOf = <T extends { path: string; line: PreparedLine }>(items: readonly T[]) =>
    listed(withFields(items.map(({ line: _, ...item }) => item)))
  if (unknownUnits.length > 0) {
    throw invalid(
      'CATALOG_UNKNOWN_UNIT',
      `${pathsOf(unknownUnits)}: no unit ${[...new Set(unknownUnits.flatMap((u) => u.units))].join(', ')}.`,
      detailsOf(unknownUnits),
    )
  }
  if (changedBase.length > 0) {
    throw invalid(
      'CATALOG_BASE_UNIT_IMMUTABLE',
      `${pathsOf(changedBase)}: the base unit of an existing product cannot change; stock is kept in that unit.`,
      detailsOf(changedBase),
    )
  }
  if (taken.length > 0) {
    throw conflict('CATALOG_BARCODE_EXISTS', `${pathsOf(taken)}: the barcode belongs to another product.`, detailsOf(taken))
  }
}

/** The SKU and barcodes a line writes. */
const writtenCodesOf = (l: PreparedLine) => [l.row.sku, l.row.barcode, ...(l.units ?? []).map((u) => u.barcode)]

/** The categories a chunk names, each once. */
const categoryNamesOf = (chunk: readonly PreparedLine[]) => [
  ...new Set(chunk.flatMap((l) => (typeof l.row.category === 'string' ? [l.row.category] : []))),
]

/**
 * Writes checked lines in `trx`: the missing categories they name, then their products with their
 * units (2 statements). Categories are created per chunk rather than for the whole input up front,
 * so a refused chunk leaves no category behind.
 */
async function writeLines(trx: Transaction<Database>, chunk: readonly PreparedLine[]) {
  const names = categoryNamesOf(chunk)
  const categories = names.length > 0 ? await repo.insertMissingCategories(trx, names) : []
  const rows = chunk.length > 0 ? await repo.upsertProducts(trx, chunk.map((l) => ({ ...l.row, units: l.units }))) : []
  return { rows, categories }
}

/** Writes one chunk in one short transaction of its own. */
function writeChunk(db: Db, chunk: readonly PreparedLine[]) {
  return db.primary.transaction().execute((trx) => writeLines(trx, chunk))
}

/**
 * The error for a chunk the database refused after the checks passed (a concurrent writer took one
 * of its barcodes meanwhile). The chunk is checked again to name its lines, and the message says
 * what was saved: the chunks before it are committed, this one and the rest wrote nothing.
 */
async function chunkRefused(db: Db, error: unknown, chunk: readonly PreparedLine[], written: number): Promise<unknown> {
  if (!(error instanceof AppError)) return error
  let refused: AppError = error
  try {
    await checkBulkReferences(db.primary, chunk)
  } catch (named) {
    if (named instanceof AppError) refused = named
  }
  const first = chunk[0]!.path
  const kept = `The ${written} lines before ${first} were written; ${first} and those after it were not.`
  const saved = written === 0 ? 'Nothing was written.' : kept
  const details = typeof refused.details === 'object' && refused.details !== null ? refused.details : {}
  return new AppError(refused.kind, refused.code, `${refused.message} ${saved}`, { ...details, written })
}

/**
 * Inserts or updates products by SKU. Every line is checked first (fields, units, base units,
 * barcodes), so bad input writes nothing. The lines are then written in chunks of BULK_CHUNK_SIZE,
 * each one short transaction that creates the missing categories its lines name and writes the
 * products and their units, a fixed number of statements whatever the chunk size. A chunk is atomic:
 * if the database still refuses it (a concurrent writer took a barcode), it writes nothing, the
 * chunks before it stay committed, and the error says how many lines were written; rerunning is safe.
 */
export async function bulkUpsertProducts(
  catalog: CatalogCache,
  principal: Principal,
  input: BulkUpsertInput,
  options: BulkUpsertOptions = {},
): Promise<BulkUpsertResult> {
  requireRole(principal, WRITERS)
  const { db } = catalog
  const lines = prepareBulkLines(input.products)
  await checkBulkReferences(db.primary, lines)

  const result: BulkUpsertResult = { total: lines.length, created: 0, updated: 0, categoriesCreated: 0 }
  for (let start = 0; start < lines.length; start += BULK_CHUNK_SIZE) {
    const chunk = lines.slice(start, start + BULK_CHUNK_SIZE)
    let written: Awaited<ReturnType<typeof writeChunk>>
    try {
      written = await translatingConflicts(() => writeChunk(db, chunk))
    } catch (error) {
      throw await chunkRefused(db, error, chunk, start)
    }
    // each chunk commits on its own: its products and new categories are evicted before the next one is written
    await catalog.evictProducts({ ids: written.rows.map((r) => r.id), codes: chunk.flatMap(writtenCodesOf) })
    await catalog.evictCategories(written.categories.map((c) => c.id))
    result.categoriesCreated += written.categories.length
    for (const row of written.rows) {
      if (row.inserted) result.created += 1
      else result.updated += 1
    }
    await options.onProgress?.({ done: start + chunk.length, total: lines.length })
  }
  return result
}

/** A line of an import chunk that the chunk's checks refused: its key, the field and why. */
export interface RefusedLine<K> {
  key: K
  field: string
  message: string
}

export interface UpsertedLines<K> {
  /** products inserted or updated */
  written: number
  refused: RefusedLine<K>[]
  /** for the caller to evict once `trx` has committed, never before (a reader could cache the old row again) */
  evict: { products: { ids: number[]; codes: (string | null | undefined)[] }; categoryIds: number[] }
}

/** Where a barcode is on a line: `barcode`, or the unit that carries it. */
function barcodeField(line: PreparedLine, barcode: string): string {
  if (line.row.barcode === barcode) return 'barcode'
  const unit = (line.units ?? []).findIndex((u) => u.barcode === barcode)
  return `units[${unit}].barcode`
}

/** Lines that repeat a SKU or a barcode of an earlier line of the same chunk (one statement may touch a row once). */
function refuseRepeats<K>(lines: readonly { key: K; line: PreparedLine }[]): RefusedLine<K>[] {
  const skus = new Set<string>()
  const barcodes = new Set<string>()
  const refused: RefusedLine<K>[] = []
  for (const { key, line } of lines) {
    const own = barcodesOf(line.row.barcode, line.units)
    const repeated = own.find((b) => barcodes.has(b))
    if (skus.has(line.row.sku)) refused.push({ key, field: 'sku', message: `SKU ${line.row.sku} is on an earlier line of this chunk.` })
    else if (repeated !== undefined) {
      refused.push({ key, field: barcodeField(line, repeated), message: `Barcode ${repeated} is on an earlier line of this chunk.` })
    } else {
      skus.add(line.row.sku)
      for (const b of own) barcodes.add(b)
    }
  }
  return refused
}

/**
 * Upserts the lines of one import chunk in `trx` (the caller's transaction), refusing single lines
 * rather than the whole chunk: a SKU or barcode an earlier line of the chunk has, an unknown unit
 * (units are a fixed vocabulary: a typo must not create one), a changed base unit, a barcode of
 * another product. 1 lookup and 2 writes whatever the chunk's size. Evicts nothing: see `evict`.
 */
export async function upsertProductLines<K>(
  trx: Transaction<Database>,
  lines: readonly { key: K; line: PreparedLine }[],
): Promise<UpsertedLines<K>> {
  const refused = refuseRepeats(lines)
  const refusedKeys = new Set(refused.map((r) => r.key))
  const candidates = lines.filter((l) => !refusedKeys.has(l.key))
  const keyOf = new Map(candidates.map((c) => [c.line, c.key]))
  const problems = await findReferenceProblems(trx, candidates.map((c) => c.line))
  for (const u of problems.unknownUnits) {
    const field = u.units.includes(u.line.row.baseUnit) ? 'baseUnit' : 'units'
    refused.push({ key: keyOf.get(u.line)!, field, message: `No unit ${u.units.join(', ')}.` })
  }
  for (const c of problems.changedBase) {
    const message = `The base unit of ${c.sku} is ${c.baseUnit}; it cannot change (stock is kept in it).`
    refused.push({ key: keyOf.get(c.line)!, field: 'baseUnit', message })
  }
  for (const t of problems.taken) {
    refused.push({ key: keyOf.get(t.line)!, field: barcodeField(t.line, t.barcode), message: `Barcode ${t.barcode} belongs to ${t.ownerSku}.` })
  }
  const refusedNow = new Set(refused.map((r) => r.key))
  const kept = candidates.filter((c) => !refusedNow.has(c.key)).map((c) => c.line)
  const { rows, categories } = await writeLines(trx, kept)
  return {
    written: rows.length,
    refused,
    evict: { products: { ids: rows.map((r) => r.id), codes: kept.flatMap(writtenCodesOf) }, categoryIds: categories.map((c) => c.id) },
  }
}
