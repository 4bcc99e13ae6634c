import type { TypeName } from 'libpg-query'

/** A column type as the parser resolved it: `integer` is `int4`, `double precision` is `float8`. */
export interface ColumnType {
  name: string
  modifiers: number[]
  isArray: boolean
  /** serial, bigserial, smallserial: an integer with a `nextval()` default. */
  isSerial: boolean
}

const SERIAL_TYPES: Record<string, string> = {
  smallserial: 'int2',
  serial2: 'int2',
  serial: 'int4',
  serial4: 'int4',
  bigserial: 'int8',
  serial8: 'int8',
}

export function columnTypeOf(typeName: TypeName): ColumnType {
  const parts = (typeName.names ?? []).map((n) => ('String' in n ? (n.String.sval ?? '') : ''))
  const qualifiedByUser = parts.length > 1 && parts[0] !== 'pg_catalog'
  const last = parts.at(-1) ?? ''
  const modifiers = (typeName.typmods ?? []).flatMap((m) =>
    'A_Const' in m && m.A_Const.ival !== undefined ? [m.A_Const.ival.ival ?? 0] : [],
  )
  const isArray = (typeName.arrayBounds?.length ?? 0) > 0
  if (qualifiedByUser) return { name: parts.join('.'), modifiers, isArray, isSerial: false }
  const serialBase = SERIAL_TYPES[last]
  if (serialBase) return { name: serialBase, modifiers, isArray, isSerial: true }
  return { name: last, modifiers, isArray, isSerial: false }
}

const DISPLAY_NAMES: Record<string, string> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  bpchar: 'char',
  bool: 'boolean',
}

export function describeType(type: ColumnType): string {
  const base = type.isSerial
    ? ({ int2: 'smallserial', int4: 'serial', int8: 'bigserial' }[type.name] ?? type.name)
    : (DISPLAY_NAMES[type.name] ?? type.name)
  const modifiers = type.modifiers.length > 0 ? `(${type.modifiers.join(',')})` : ''
  return `${base}${modifiers}${type.isArray ? '[]' : ''}`
}

/**
 * - `same`: nothing changes.
 * - `widening`: every old value fits and PostgreSQL only updates the catalog (no table rewrite).
 * - `rewrite`: every old value fits, but the table and its indexes are rewritten, or the meaning changes.
 * - `narrowing`: some old values do not fit: they are rounded, truncated or make the migration fail.
 */
export type TypeChange = 'same' | 'widening' | 'rewrite' | 'narrowing'

const STRING_TYPES = new Set(['text', 'varchar', 'bpchar'])
const INTEGER_BITS: Record<string, number> = { int2: 16, int4: 32, int8: 64 }
const INTEGER_DIGITS: Record<string, number> = { int2: 5, int4: 10, int8: 19 }
const FLOAT_MANTISSA_BITS: Record<string, number> = { float4: 24, float8: 53 }
/** Types whose only modifier is a fractional-seconds precision (6 when omitted). */
const PRECISION_TYPES = new Set(['timestamp', 'timestamptz', 'time', 'timetz'])

function maxLength(type: ColumnType): number {
  if (type.name === 'text') return Number.POSITIVE_INFINITY
  return type.modifiers[0] ?? Number.POSITIVE_INFINITY
}

function precisionOf(type: ColumnType): number {
  return type.modifiers[0] ?? 6
}

function sameType(a: ColumnType, b: ColumnType): boolean {
  return a.name === b.name && a.isArray === b.isArray && a.modifiers.join(',') === b.modifiers.join(',')
}

/** `usingExpression`: an ALTER … TYPE … USING always rewrites, whatever the types. */
export function classifyTypeChange(from: ColumnType, to: ColumnType, usingExpression: boolean): TypeChange {
  const change = classifyValues(from, to)
  if (usingExpression && (change === 'same' || change === 'widening')) return 'rewrite'
  return change
}

function classifyValues(from: ColumnType, to: ColumnType): TypeChange {
  if (sameType(from, to)) return 'same'
  if (from.isArray !== to.isArray) return 'rewrite'
  const a = from.name
  const b = to.name

  if (STRING_TYPES.has(a) && STRING_TYPES.has(b)) {
    if (maxLength(to) < maxLength(from)) return 'narrowing'
    // char(n) pads with spaces and compares without them: switching to or from it changes values.
    if (a === 'bpchar' || b === 'bpchar') return 'rewrite'
    return 'widening'
  }
  // Only some strings parse as a number, a date or a boolean.
  if (STRING_TYPES.has(a)) return 'narrowing'
  if (STRING_TYPES.has(b)) return maxLength(to) === Number.POSITIVE_INFINITY ? 'rewrite' : 'narrowing'

  const fromBits = INTEGER_BITS[a]
  const toBits = INTEGER_BITS[b]
  const fromMantissa = FLOAT_MANTISSA_BITS[a]
  const toMantissa = FLOAT_MANTISSA_BITS[b]
  if (fromBits && toBits) return toBits < fromBits ? 'narrowing' : 'rewrite'
  if (fromBits && b === 'numeric') {
    const [precision, scale = 0] = to.modifiers
    if (precision === undefined) return 'rewrite'
    return precision - scale < (INTEGER_DIGITS[a] ?? 0) ? 'narrowing' : 'rewrite'
  }
  if (fromBits && toMantissa) return toMantissa < fromBits - 1 ? 'narrowing' : 'rewrite'
  if (a === 'numeric' && b === 'numeric') return classifyNumeric(from.modifiers, to.modifiers)
  // Fractions are cut off and float8 → numeric keeps only 15 significant digits.
  if ((a === 'numeric' || fromMantissa) && (toBits || b === 'numeric' || toMantissa)) {
    if (fromMantissa && toMantissa && toMantissa > fromMantissa) return 'rewrite'
    return 'narrowing'
  }

  if (PRECISION_TYPES.has(a) && a === b) return precisionOf(to) < precisionOf(from) ? 'narrowing' : 'widening'
  if ((a === 'timestamptz' || a === 'timestamp') && (b === 'date' || b === 'time' || b === 'timetz')) return 'narrowing'
  // The stored instant becomes a wall-clock time in whatever zone the migration session had.
  if (a === 'timestamptz' && b === 'timestamp') return 'narrowing'
  return 'rewrite'
}

function classifyNumeric(from: number[], to: number[]): TypeChange {
  const [toPrecision, toScale = 0] = to
  const [fromPrecision, fromScale = 0] = from
  if (toPrecision === undefined) return 'widening'
  if (fromPrecision === undefined) return 'narrowing'
  if (toScale < fromScale || toPrecision - toScale < fromPrecision - fromScale) return 'narrowing'
  // PostgreSQL skips the rewrite when only the precision grows.
  return toScale === fromScale ? 'widening' : 'rewrite'
}
