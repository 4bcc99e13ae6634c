/** Reading the fields of an import record: each reader answers a value, or a Reject naming the field. */
import type { Reject } from './imports.kinds.ts'

export type Field<T> = T | Reject

export const rejectOf = (line: number, field: string, message: string): Reject => ({ line, field, message })

export function isRejected<T>(value: Field<T>): value is Reject {
  return typeof value === 'object' && value !== null && 'field' in value && 'message' in value && 'line' in value
}

const blank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '')

export function text(record: Record<string, unknown>, field: string, line: number, options: { required?: boolean; max?: number; pattern?: RegExp } = {}): Field<string | null> {
  const value = record[field]
  if (blank(value)) return options.required ? rejectOf(line, field, 'missing') : null
  if (typeof value !== 'string' && typeof value !== 'number') return rejectOf(line, field, 'not text')
  const s = String(value).trim()
  if (s.length > (options.max ?? 200)) return rejectOf(line, field, `longer than ${options.max ?? 200} characters`)
  if (options.pattern && !options.pattern.test(s)) return rejectOf(line, field, `"${s.slice(0, 40)}" is not of the form ${options.pattern.source}`)
  return s
}

export function id(record: Record<string, unknown>, field: string, line: number, options: { required?: boolean } = {}): Field<number | null> {
  const value = record[field]
  if (blank(value)) return options.required ? rejectOf(line, field, 'missing') : null
  const n = typeof value === 'number' ? value : /^\d+$/.test(String(value).trim()) ? Number(String(value).trim()) : Number.NaN
  if (!Number.isSafeInteger(n) || n < 1) return rejectOf(line, field, `"${String(value).slice(0, 40)}" is not an id (a whole number from 1)`)
  return n
}

/** An exact decimal as a string (never through a float): up to `integer` digits before the point and `fraction` after. */
export function decimal(
  record: Record<string, unknown>,
  field: string,
  line: number,
  limits: { integer: number; fraction: number; negative?: boolean },
): Field<string> {
  const value = record[field]
  if (blank(value)) return rejectOf(line, field, 'missing')
  const s = String(value).trim()
  const pattern = new RegExp(`^${limits.negative ? '-?' : ''}\\d{1,${limits.integer}}(\\.\\d{1,${limits.fraction}})?$`)
  if (!pattern.test(s)) {
    return rejectOf(line, field, `"${s.slice(0, 40)}" is not a ${limits.negative ? '' : 'non-negative '}number with at most ${limits.fraction} decimals`)
  }
  return s
}

export function timestamp(record: Record<string, unknown>, field: string, line: number): Field<string | null> {
  const value = record[field]
  if (blank(value)) return null
  const s = String(value).trim()
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/.test(s) || Number.isNaN(Date.parse(s))) {
    return rejectOf(line, field, `"${s.slice(0, 40)}" is not a date-time such as 2026-01-31T12:00:00Z`)
  }
  return s
}

/** A product named by SKU or by id: one of the two. */
export function productRef(record: Record<string, unknown>, line: number): Field<{ sku: string | null; productId: number | null }> {
  const sku = text(record, 'sku', line, { max: 64 })
  if (isRejected(sku)) return sku
  const productId = id(record, 'productId', line)
  if (isRejected(productId)) return productId
  if (sku === null && productId === null) return rejectOf(line, 'sku', 'missing: a sku or a productId is needed')
  return { sku, productId: sku === null ? productId : null }
}
