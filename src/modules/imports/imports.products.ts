/**
 * The catalog import: products keyed by SKU with their category (by name, created when missing),
 * units and conversion factors, prices, tax rates and barcodes. A record is checked against the
 * catalog's own bulk-line schema and rules (one definition of a product line); a chunk is written
 * by the catalog's per-chunk upsert, 1 lookup and 2 writes whatever its size.
 *
 * CSV: sku,name,price,taxRate,baseUnit,category[,barcode][,active][,description][,units] with
 * units as `box12:12;pallet:480` (`unit:factor` or `unit:factor:barcode`, `;` between them).
 * JSON Lines: the same keys, `units` an array of {unit, factor, barcode?} (or the CSV string).
 * A units column or key, even empty, is the product's complete set of conversions; without it the
 * stored units stay. Unknown units are rejected, never created: see upsertProductLines.
 */
import { Compile } from 'typebox/compile'
import { AppError } from '../../infra/errors.ts'
import {
  type BulkProductInput,
  BulkUpsertBody,
  type CatalogCache,
  type PreparedProductLine,
  prepareProductLine,
  type UpsertedLines,
  upsertProductLines,
} from '../catalog/index.ts'
import { isRejected, rejectOf } from './imports.fields.ts'
import type { ChunkResult, Reject, TransactionKind } from './imports.kinds.ts'

const productLine = Compile(BulkUpsertBody.properties.products.items)

const TEXT_FIELDS = ['sku', 'name', 'baseUnit', 'description'] as const
/** Blank means "none" (null) for these; for the others it means "missing" or "keep". */
const CLEARABLE_FIELDS = ['category', 'barcode'] as const

const blank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
const trimmed = (value: unknown) => (typeof value === 'string' ? value.trim() : value)

/** `/units/0/factor` → `units[0].factor` */
function fieldOfPointer(pointer: string, fallback: string): string {
  const parts = pointer.split('/').filter((p) => p !== '')
  if (parts.length === 0) return fallback
  return parts.reduce((field, part) => (/^\d+$/.test(part) ? `${field}[${part}]` : field === '' ? part : `${field}.${part}`), '')
}

/** `box12:12;pallet:480:EAN1` → [{unit, factor, barcode?}], or a Reject naming the part. */
function unitsOfText(text: string, line: number): BulkProductInput['units'] | Reject {
  const parts = text.split(';').map((p) => p.trim()).filter((p) => p !== '')
  const units: NonNullable<BulkProductInput['units']> = []
  for (const [i, part] of parts.entries()) {
    const [unit, factor, barcode, ...rest] = part.split(':').map((s) => s.trim())
    if (!unit || !factor || rest.length > 0 || barcode === '') {
      return rejectOf(line, `units[${i}]`, `"${part.slice(0, 40)}" is not unit:factor or unit:factor:barcode`)
    }
    units.push(barcode === undefined ? { unit, factor } : { unit, factor, barcode })
  }
  return units
}

function activeOf(value: unknown, line: number): boolean | undefined | Reject {
  if (typeof value === 'boolean') return value
  if (blank(value)) return undefined
  const s = String(value).trim().toLowerCase()
  if (['true', '1', 'yes', 'y'].includes(s)) return true
  if (['false', '0', 'no', 'n'].includes(s)) return false
  return rejectOf(line, 'active', `"${s.slice(0, 40)}" is not true or false`)
}

/** A record as a bulk product line, in the shape the schema checks; blank CSV cells read as described above. */
function lineOf(record: Record<string, unknown>, line: number): Record<string, unknown> | Reject {
  const input: Record<string, unknown> = {}
  for (const field of TEXT_FIELDS) if (!blank(record[field])) input[field] = trimmed(record[field])
  for (const field of CLEARABLE_FIELDS) if (field in record) input[field] = blank(record[field]) ? null : trimmed(record[field])
  for (const field of ['price', 'taxRate'] as const) {
    if (blank(record[field])) return rejectOf(line, field, 'missing')
    input[field] = trimmed(record[field])
  }
  const active = activeOf(record.active, line)
  if (isRejected(active)) return active
  if (active !== undefined) input.active = active
  if ('units' in record) {
    const units = record.units
    const read = blank(units) ? [] : typeof units === 'string' ? unitsOfText(units, line) : units
    if (isRejected(read)) return read
    input.units = read
  }
  return input
}

const DECIMAL_FIELD = /(price|taxRate|factor)$/

/** The first thing the schema refuses, as a Reject naming the field. */
function schemaReject(input: Record<string, unknown>, line: number): Reject {
  const [first] = productLine.Errors(input)
  if (!first) return rejectOf(line, 'sku', 'invalid')
  const params = first.params as { requiredProperties?: string[] }
  if (first.keyword === 'required') {
    const pointer = `${first.instancePath}/${params.requiredProperties?.[0] ?? ''}`
    return rejectOf(line, fieldOfPointer(pointer, 'sku'), 'missing')
  }
  const field = fieldOfPointer(first.instancePath, 'sku')
  const value = first.instancePath.split('/').slice(1).reduce<unknown>((v, key) => (v as Record<string, unknown>)?.[key], input)
  const shown = JSON.stringify(value)?.slice(0, 40) ?? 'nothing'
  if (first.keyword === 'boolean') return rejectOf(line, field, 'not a field of a unit')
  if (DECIMAL_FIELD.test(field)) return rejectOf(line, field, `${shown} is not a decimal number`)
  return rejectOf(line, field, `${shown}: ${first.message}`)
}

function parseProduct(record: Record<string, unknown>, line: number): PreparedProductLine | Reject {
  const input = lineOf(record, line)
  if (isRejected(input)) return input
  if (!productLine.Check(input)) return schemaReject(input, line)
  try {
    return prepareProductLine(input as unknown as BulkProductInput, '')
  } catch (error) {
    if (!(error instanceof AppError)) throw error
    const details = (error.details ?? {}) as { field?: unknown }
    const field = typeof details.field === 'string' ? fieldOfPointer(details.field, 'barcode') : 'barcode'
    return rejectOf(line, field, error.message)
  }
}


/**
 * The products kind. `catalog`: the cache to evict the written products and new categories from,
 * after the chunk's commit (evicting inside the transaction would let a reader cache the old row
 * again before the commit, for the whole TTL); without one (a tool with no app cache) nothing is evicted.
 */
export function productsKindWith(catalog: CatalogCache | undefined): TransactionKind<PreparedProductLine> {
  return {
    name: 'products',
    requiredFields: ['sku', 'name', 'price', 'taxRate', 'baseUnit', 'category'],
    parse: parseProduct,
    async writeChunk(trx, rows): Promise<ChunkResult> {
      const result: UpsertedLines<number> = await upsertProductLines(
        trx,
        rows.map((r) => ({ key: r.line, line: r.row })),
      )
      const { products, categoryIds } = result.evict
      return {
        written: result.written,
        rejects: result.refused.map((r) => rejectOf(r.key, r.field, r.message)),
        afterCommit: catalog
          ? async () => {
              await catalog.evictProducts(products)
              await catalog.evictCategories(categoryIds)
            }
          : undefined,
      }
    },
  }
}

/** A products kind that evicts nothing: for callers without cache tiers (a fresh database, tests). */
export const productsKind = productsKindWith(undefined)
