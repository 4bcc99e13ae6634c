import type { FastifyError, FastifyInstance } from 'fastify'
import { AppError, type ErrorKind } from '../errors.ts'

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

/** Fastify's own client errors (bad JSON, body too large, wrong content type) keep their 4xx status. */
const FASTIFY_CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
}

/** The only place that knows HTTP status codes; a 5xx never shows internals. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      return reply.status(STATUS_BY_KIND[error.kind]).send(body(error.code, error.message, error.details))
    }
    if (error.validation) {
      const details = error.validation.map((issue) => ({
        path: `${error.validationContext ?? 'body'}${issue.instancePath || ''}`,
        message: issue.message ?? 'is invalid',
      }))
      return reply
        .status(400)
        .send(body('VALIDATION_FAILED', `The request ${error.validationContext ?? 'body'} is not valid.`, details))
    }
    const clientCode = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined
    if (clientCode || (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)) {
      return reply.status(error.statusCode ?? 400).send(body(clientCode ?? 'BAD_REQUEST', error.message))
    }
    request.log.error({ err: error }, 'unhandled error')
    return reply.status(500).send(body('INTERNAL', 'Something went wrong on our side. It has been logged.'))
  })

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(body('ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`))
  })
}
