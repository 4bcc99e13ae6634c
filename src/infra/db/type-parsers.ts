import pg from 'pg'

/**
 * pg and PGlite must hand back identical JS values. Identifiers and counts (int8) become numbers
 * (Brisk's ids stay far below 2^53), numerics stay strings so money and quantities are exact,
 * dates stay 'YYYY-MM-DD' strings (no time-zone shift), timestamps become Dates.
 */
const INT8 = 20
const INT8_ARRAY = 1016
const NUMERIC = 1700
const DATE = 1082
const DATE_ARRAY = 1182
const NUMERIC_ARRAY = 1231

function int8(value: string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${value} does not fit a JS number`)
  return n
}

export const pgliteParsers = {
  [INT8]: int8,
  [NUMERIC]: (value: string) => value,
  [DATE]: (value: string) => value,
}

const defaultInt8Array = (pg.types.getTypeParser as (oid: number) => unknown)(INT8_ARRAY) as (value: string) => (string | null)[]
/** Parses a text[]-shaped array literal into strings (used for date[] and numeric[]). */
const stringArray = (pg.types.getTypeParser as (oid: number) => unknown)(1009) as (value: string) => (string | null)[]

export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8) return int8
    if (oid === INT8_ARRAY) return (value: string) => defaultInt8Array(value).map((v) => (v === null ? null : int8(v)))
    if (oid === DATE) return (value: string) => value
    if (oid === DATE_ARRAY) return stringArray
    // pg's default turns numeric[] into floats, which would break exact money and quantities.
    if (oid === NUMERIC_ARRAY) return stringArray
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloads are not expressible here
    return (pg.types.getTypeParser as any)(oid, format)
  },
}
