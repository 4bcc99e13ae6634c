import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, type ErrorKind } from '../errors.ts'
import { REQUEST_ID_HEADER } from './request-id.ts'
import { requestPartOf, validationDetails } from './validation-errors.ts'

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 422,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
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

const PART_NAMES = { body: 'body', query: 'query string', path: 'path', header: 'headers' }

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
  reply.status(error.statusCode ?? 400).send(body(error.code === 'FST_ERR_BAD_URL' ? 'BAD_URL' : 'BAD_REQUEST', error.message))
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
      return reply.status(error.statusCode ?? 400).send(body(clientCode ?? 'BAD_REQUEST', error.message))
    }
    return answerInternal(error, request, reply)
  })

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(body('ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`))
  })
}
