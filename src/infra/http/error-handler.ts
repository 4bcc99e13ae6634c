import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isDatabaseUnavailable, isPrimaryReadOnly } from '../db/outage.ts'
import { AppError, type ErrorKind } from '../errors.ts'
import { REQUEST_ID_HEADER } from './request-id.ts'
import { requestPartOf, validationDetails } from './validation-errors.ts'

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 422,
  unauthenticated: 401,
  payment_declined: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  upstream_timeout: 504,
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}

function body(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } }
}

/** Fastify's own client errors (bad JSON, body too large) keep their 4xx status; a wrong content type gets a hint below. */
const FASTIFY_CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
}

/** Any other client error gets a code from its status: 416 → RANGE_NOT_SATISFIABLE. */
function codeOfStatus(status: number): string {
  return (STATUS_CODES[status] ?? 'Bad Request').toUpperCase().replace(/[^A-Z0-9]+/g, '_')
}

const PART_NAMES = { body: 'body', query: 'query string', path: 'path', header: 'header' }

const JSON_HINT = 'send JSON with the header "content-type: application/json"'

function isJson(request: FastifyRequest): boolean {
  return /^application\/(?:[\w.+-]*\+)?json\b/i.test(request.headers['content-type'] ?? '')
}

function validationFailed(error: FastifyError, request: FastifyRequest): ErrorBody {
  const part = requestPartOf(error.validationContext)
  const details = validationDetails(error.validation ?? [], part)
  const first = details[0]
  const more = details.length > 1 ? ` (and ${details.length - 1} more, see details)` : ''
  const what = first ? `: ${first.field || part} ${first.message}${more}` : ''
  // A text/plain body (curl -d with a content-type header of its own) is parsed as a string, not refused.
  const hint = part === 'body' && !isJson(request) ? `; ${JSON_HINT}` : ''
  return body('VALIDATION_FAILED', `The request ${PART_NAMES[part]} is not valid${what}${hint}.`, details)
}

function unsupportedMediaType(request: FastifyRequest): ErrorBody {
  const sent = request.headers['content-type']
  return body(
    'UNSUPPORTED_MEDIA_TYPE',
    `${sent ? `A body of type "${sent}" is not accepted` : 'The body has no content-type'}: ${JSON_HINT}.`,
    { contentType: sent ?? null, accepted: ['application/json'] },
  )
}

function answerInternal(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  request.log.error({ err: error }, 'unhandled error')
  // The id lets whoever reads this body find the logged error (the log line carries it as reqId).
  const message = `Something went wrong on our side. It has been logged with request id ${request.id}.`
  return reply.status(500).send(body('INTERNAL', message, { requestId: request.id }))
}

/** Sent as Retry-After while the database is unavailable: the database layer tries to reconnect every 250 ms. */
const RETRY_AFTER_SECONDS = 1

const RETRY_WITH_KEY = 'A write sent with an Idempotency-Key can be sent again with the same key.'

/** What a 503 says: the primary cannot be reached, or it answers but is read-only (demoted, or a failover under way). */
const OUTAGES = {
  DATABASE_UNAVAILABLE: { log: 'database unavailable', message: `The database is unavailable right now; try again in a moment. ${RETRY_WITH_KEY}` },
  DATABASE_READ_ONLY: {
    log: 'the primary database is read-only',
    message:
      'The primary database is read-only right now (it was demoted or a failover is under way), so nothing was written; ' +
      `try again in a moment. ${RETRY_WITH_KEY}`,
  },
} as const

/** An outage, not a bug (see infra/db/outage.ts): a 503 the client may retry; logged as a warning. */
function answerOutage(code: keyof typeof OUTAGES, error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  request.log.warn({ err: error }, OUTAGES[code].log)
  return reply
    .status(503)
    .header('retry-after', String(RETRY_AFTER_SECONDS))
    .send(body(code, OUTAGES[code].message, { retryAfterSeconds: RETRY_AFTER_SECONDS, requestId: request.id }))
}

/**
 * Fastify's `frameworkErrors`: what fails before routing (a malformed URL) skips the hooks and the
 * error handler, so it gets the same body shape and request id here.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header(REQUEST_ID_HEADER, request.id)
  if (error.statusCode !== undefined && error.statusCode >= 500) {
    answerInternal(error, request, reply)
    return
  }
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    // Fastify's message repeats the whole path, which is long by definition.
    const limit = request.server?.initialConfig.maxParamLength ?? 100
    reply.status(414).send(body('URI_TOO_LONG', `A path parameter is longer than ${limit} characters.`, { maxLength: limit }))
    return
  }
  const status = error.statusCode ?? 400
  reply.status(status).send(body(error.code === 'FST_ERR_BAD_URL' ? 'BAD_URL' : codeOfStatus(status), error.message))
}

/** What Node's HTTP parser refuses before there is a request: the status and code each gets. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'REQUEST_TIMEOUT', message: 'The request was not received in time.' },
  HPE_HEADER_OVERFLOW: { status: 431, code: 'HEADERS_TOO_LARGE', message: 'The request headers are too large.' },
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses (malformed, headers too
 * large, too slow) never reaches Fastify, so it is answered on the socket here, in the same shape.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const known = error.code === undefined ? undefined : CLIENT_ERRORS[error.code]
  const { status, code, message } = known ?? { status: 400, code: 'BAD_REQUEST', message: 'The request is not valid HTTP.' }
  const payload = JSON.stringify(body(code, message))
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(payload)}\r\n${REQUEST_ID_HEADER}: ${randomUUID()}\r\nconnection: close\r\n\r\n${payload}`,
    )
  }
  socket.destroy(error)
}

/**
 * PostgreSQL's refusal of a time zone name (SQLSTATE 22023). The reporting service checks names
 * with Intl, which accepts a few PostgreSQL does not know (US/Pacific-New, Canada/East-Saskatchewan).
 */
function unknownTimeZone(error: unknown): string | undefined {
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (code !== '22023' || typeof message !== 'string') return undefined
  return /^time zone "(.*)" not recognized$/.exec(message)?.[1]
}

/** The only place that knows HTTP status codes; a 5xx never shows internals. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      return reply.status(STATUS_BY_KIND[error.kind]).send(body(error.code, error.message, error.details))
    }
    if (error.validation) return reply.status(400).send(validationFailed(error, request))
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.status(415).send(unsupportedMediaType(request))
    const clientCode = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined
    if (clientCode || (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)) {
      const status = error.statusCode ?? 400
      // The JSON parser's own refusals (a __proto__ key) are SyntaxErrors without a code.
      const code = clientCode ?? (error instanceof SyntaxError && status === 400 ? 'INVALID_JSON' : codeOfStatus(status))
      return reply.status(status).send(body(code, error.message))
    }
    const timeZone = unknownTimeZone(error)
    if (timeZone !== undefined) {
      const message = `The database does not know the time zone "${timeZone}"; use a current IANA name such as Europe/Paris.`
      return reply.status(422).send(body('INVALID_TIME_ZONE', message, { timeZone }))
    }
    if (isPrimaryReadOnly(error)) return answerOutage('DATABASE_READ_ONLY', error, request, reply)
    if (isDatabaseUnavailable(error)) return answerOutage('DATABASE_UNAVAILABLE', error, request, reply)
    return answerInternal(error, request, reply)
  })

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(body('ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`))
  })
}
