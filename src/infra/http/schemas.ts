import { type Static, Type } from 'typebox'

/**
 * Decimal values (money, quantities, factors) travel as strings in responses so they stay exact.
 * Requests may send a JSON number or a string; numbers are read through their shortest decimal
 * form, never through float arithmetic.
 */
export const DECIMAL_PATTERN = '^-?\\d{1,14}(\\.\\d{1,9})?$'
export const DecimalInput = Type.Union([Type.String({ pattern: DECIMAL_PATTERN }), Type.Number()], {
  description: 'A decimal number, as a JSON number or a string such as "12.50"',
})
export const DecimalOutput = Type.String({ description: 'An exact decimal number as a string', examples: ['12.50'] })

export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })
export const IdParams = Type.Object({ id: Id })

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
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'Return rows after this id (keyset pagination)' })),
}

export function Page<T extends import('typebox').TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextAfter: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Pass as `after` to get the next page; null on the last page',
    }),
  })
}

export type DecimalInputValue = Static<typeof DecimalInput>

/** Standard error responses for OpenAPI, keyed by status. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorResponse]))
}
