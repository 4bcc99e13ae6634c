export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'payment_declined'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unavailable'
  | 'upstream_timeout'

/** The one error type services throw. Only the HTTP error handler maps `kind` to a status code. */
export class AppError extends Error {
  readonly kind: ErrorKind
  readonly code: string
  readonly details: unknown

  constructor(kind: ErrorKind, code: string, message: string, details?: unknown) {
    super(message)
    this.name = 'AppError'
    this.kind = kind
    this.code = code
    this.details = details
  }
}

export const invalid = (code: string, message: string, details?: unknown) =>
  new AppError('invalid', code, message, details)
export const notFound = (code: string, message: string, details?: unknown) =>
  new AppError('not_found', code, message, details)
export const conflict = (code: string, message: string, details?: unknown) =>
  new AppError('conflict', code, message, details)
export const paymentDeclined = (code: string, message: string, details?: unknown) =>
  new AppError('payment_declined', code, message, details)
/** A service this one called (a payment provider) did not answer in time. */
export const upstreamTimeout = (code: string, message: string, details?: unknown) =>
  new AppError('upstream_timeout', code, message, details)
export const forbidden = (code: string, message: string, details?: unknown) =>
  new AppError('forbidden', code, message, details)
