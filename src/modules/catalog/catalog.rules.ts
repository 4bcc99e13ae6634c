/** Shared by the catalog workflows: who may write, reading decimal fields and unit conversions, unique violations as 409s. */
import type { Executor } from '../../infra/db/database.ts'
import {
  Big,
  checkDecimal,
  type DecimalLimits,
  FACTOR_LIMITS,
  PRICE_LIMITS,
  parseDecimal,
  TAX_RATE_LIMITS,
} from '../../infra/decimal.ts'
import { type AppError, conflict, invalid } from '../../infra/errors.ts'
import { fieldOf } from './catalog.quantities.ts'
import * as repo from './catalog.repository.ts'

export const WRITERS = ['admin', 'manager'] as const

export type DecimalValue = string | number

export interface ProductUnitInput {
  unit: string
  /** base units in one of this unit: 12 for a box of 12 'each', 0.001 for 'g' of a 'kg' product */
  factor: DecimalValue
  barcode?: string | null | undefined
}

/** A catalog decimal within its limits (see infra/decimal.ts); every problem of one field has that field's code. */
function readDecimal(value: DecimalValue, field: string, code: string, limits: DecimalLimits): string {
  let n: Big
  try {
    n = parseDecimal(value, field)
  } catch {
    throw invalid(code, `${field} is not a decimal number.`, { field: fieldOf(field) })
  }
  const positive = new Big(limits.min).gt(0)
  if (positive ? n.lte(0) : n.lt(0)) {
    throw invalid(code, `${field} must be ${positive ? 'above' : 'at least'} 0.`, { field: fieldOf(field) })
  }
  return checkDecimal(n, field, limits, code).toFixed()
}

export const readPrice = (value: DecimalValue, field: string) => readDecimal(value, field, 'CATALOG_INVALID_PRICE', PRICE_LIMITS)
export const readTaxRate = (value: DecimalValue, field: string) =>
  readDecimal(value, field, 'CATALOG_INVALID_TAX_RATE', TAX_RATE_LIMITS)
const readFactor = (value: DecimalValue, field: string) => readDecimal(value, field, 'CATALOG_INVALID_FACTOR', FACTOR_LIMITS)

export function readUnits(units: readonly ProductUnitInput[], baseUnit: string, field: string) {
  const seen = new Set<string>()
  return units.map((u, i) => {
    const path = `${field}[${i}]`
    if (u.unit === baseUnit) {
      throw invalid('CATALOG_BASE_UNIT_CONVERSION', `${path}: the base unit ${baseUnit} always has factor 1.`, {
        field: fieldOf(path),
      })
    }
    if (seen.has(u.unit)) {
      throw invalid('CATALOG_DUPLICATE_UNIT', `${path}: unit ${u.unit} is listed twice.`, { field: fieldOf(path) })
    }
    seen.add(u.unit)
    return { unit: u.unit, factor: readFactor(u.factor, `${path}.factor`), barcode: u.barcode ?? null }
  })
}

export function barcodesOf(barcode: string | null | undefined, units: readonly { barcode: string | null }[] = []): string[] {
  const all = [barcode, ...units.map((u) => u.barcode)].filter((b): b is string => typeof b === 'string')
  const twice = all.find((b, i) => all.indexOf(b) !== i)
  if (twice !== undefined) throw invalid('CATALOG_DUPLICATE_BARCODE', `Barcode ${twice} is used twice.`, { barcode: twice })
  return all
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

export async function translatingConflicts<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw conflictFromUniqueViolation(error) ?? error
  }
}

export async function requireCategory(db: Executor, id: number): Promise<void> {
  if (!(await repo.findCategory(db, id))) throw invalid('CATALOG_UNKNOWN_CATEGORY', `Unknown category: ${id}.`, { categoryId: id })
}
