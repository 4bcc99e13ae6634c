import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import type { Config, LogLevel } from '../../config/config.ts'
import { newQueryStats, type QueryStats, runWithQueryStats } from '../db/query-stats.ts'
import { installErrorHandler } from './error-handler.ts'

declare module 'fastify' {
  interface FastifyRequest {
    queryStats: QueryStats
  }
}

export type HttpServer = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

/** The levels at which the per-request access line (info) is written. */
const ACCESS_LOG_LEVELS: readonly LogLevel[] = ['info', 'debug', 'trace']

function newAjv(coerceTypes: false | 'array'): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: true, strict: false })
  addFormats.default(ajv)
  return ajv
}

/**
 * Every statement a request sends is counted in its own QueryStats (see infra/db/query-stats); the
 * count and the time go out in a Server-Timing header and, at info level, in the access log line.
 */
function installRequestStats(app: HttpServer, logLevel: LogLevel): void {
  app.decorateRequest('queryStats')
  app.addHook('onRequest', (request, _reply, done) => {
    const stats = newQueryStats()
    request.queryStats = stats
    runWithQueryStats(stats, done)
  })
  // Callback hooks, not async ones: an async hook costs a promise and a microtask hop per request.
  app.addHook('onSend', (request, reply, payload, done) => {
    const stats = request.queryStats
    reply.header('server-timing', `db;desc="${stats.count} statements";dur=${stats.durationMs.toFixed(2)}`)
    done(null, payload)
  })
  // The access line is logged at info: at any level above that the hook would build it for nothing.
  if (ACCESS_LOG_LEVELS.includes(logLevel)) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info(
        {
          method: request.method,
          url: request.url,
          status: reply.statusCode,
          ms: Number(reply.elapsedTime.toFixed(2)),
          statements: request.queryStats.count,
          dbMs: Number(request.queryStats.durationMs.toFixed(2)),
        },
        'request',
      )
      done()
    })
  }
}

export interface HttpServerOptions {
  /** where log lines go (default: stdout) */
  logStream?: { write(line: string): void }
}

export async function createHttpServer(config: Config, options: HttpServerOptions = {}): Promise<HttpServer> {
  const app: HttpServer = Fastify({
    logger: { level: config.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) },
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Path and query values arrive as text and must be coerced; a JSON body must already have the
  // right types (`"quantity": true` is an error, not 1).
  const strictAjv = newAjv(false)
  const coercingAjv = newAjv('array')
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema as object),
  )

  installRequestStats(app, config.logLevel)
  installErrorHandler(app)

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Brisk API',
        description: 'Point-of-sale and online-store backend. Writes need `Authorization: Bearer <token>`.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearer: [] }],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  return app
}
