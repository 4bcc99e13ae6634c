import { type TObject, type TSchema, Type } from 'typebox'
import type { DecimalLimits } from '../decimal.ts'

/**
 * PostgreSQL text cannot hold NUL (U+0000), so every string a request carries refuses it in its
 * schema: build request strings with `Text`, never with Type.String. `not` leaves a field's own
 * `pattern` as it is; its `type` keeps a value of another type (already an error) from failing it too.
 */
const NUL_FREE = { not: { type: 'string', pattern: '\\u0000' } }

export function Text(options: Parameters<typeof Type.String>[0] = {}) {
  return Type.String({ ...options, ...NUL_FREE })
}

/** An object schema defined elsewhere (request headers) with every string property refusing NUL, as Text does. */
export function withTextProperties<T extends TObject>(schema: T): T {
  const properties = Object.fromEntries(
    Object.entries(schema.properties).map(([name, property]) => [
      name,
      (property as TSchema & { type?: unknown }).type === 'string' ? { ...property, ...NUL_FREE } : property,
    ]),
  )
  return { ...schema, properties } as T
}

/**
 * Decimal values (money, quantities, factors) travel as strings in responses so they stay exact.
 * Requests may send a JSON number or a string; numbers are read through their shortest decimal
 * form, never through float arithmetic.
 */
export const DECIMAL_PATTERN = '^-?\\d{1,14}(\\.\\d{1,9})?$'
export const DecimalOutput = Type.String({ description: 'An exact decimal number as a string', examples: ['12.50'] })

/**
 * A decimal request field with its limits (see DecimalLimits): the schema takes the form, the
 * service checks scale and range (a 422 naming the field and the limit). `x-decimal` states the
 * limits in the OpenAPI document, for clients and for the bad-input test.
 */
export function Decimal(limits: DecimalLimits, description: string) {
  return Type.Union([Type.String({ pattern: DECIMAL_PATTERN }), Type.Number()], {
    description:
      `${description}; a JSON number or a decimal string, ` +
      `at most ${limits.scale} decimals, from ${limits.min} to ${limits.max}`,
    'x-decimal': limits,
  })
}

export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })
export const IdParams = Type.Object({ id: Id })

/** Dates and instants a query may name: real calendar dates, years 1900 to 9999. */
const FIRST_DATE = '1900-01-01'
const LAST_DATE = '9999-12-31'

export function CalendarDate(description: string) {
  return Text({ format: 'date', formatMinimum: FIRST_DATE, formatMaximum: LAST_DATE, description })
}

/** A date (midnight UTC) or an RFC 3339 timestamp with its offset: `2026-01-31` or `2026-01-31T09:30:00+01:00`. */
export function DateOrTimestamp(description: string) {
  const timestamp = Text({
    format: 'date-time',
    formatMinimum: `${FIRST_DATE}T00:00:00Z`,
    formatMaximum: `${LAST_DATE}T23:59:59.999Z`,
  })
  return Type.Union([CalendarDate('A date'), timestamp], { description })
}

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { description: 'Every error has this shape' },
)

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Rows per page (1–500)' })),
  after: Type.Optional(
    Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Return rows after this id (keyset pagination)' }),
  ),
}

export function Page<T extends import('typebox').TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextAfter: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Pass as `after` to get the next page; null on the last page',
    }),
  })
}

/** Standard error responses for OpenAPI, keyed by status. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorResponse]))
}
