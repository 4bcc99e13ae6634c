import cors from '@fastify/cors'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import type { Config, LogLevel } from '../../config/config.ts'
import { newQueryStats, type QueryStats, runWithQueryStats } from '../db/query-stats.ts'
import { answerClientError, answerFrameworkError, installErrorHandler } from './error-handler.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.ts'
import { installRouteSummaries } from './route-summary.ts'

declare module 'fastify' {
  interface FastifyRequest {
    queryStats: QueryStats
  }
  interface FastifyInstance {
    metrics: Metrics
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
  // verbose: errors carry their schema, so a 400 can name the allowed values and the known fields.
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: true, strict: false, verbose: true })
  addFormats.default(ajv)
  return ajv
}

/** `db;desc="3 statements, 1 on replicas";dur=1.25`: what a request cost in the database. */
export function serverTiming(stats: QueryStats): string {
  let statements = stats.count === 1 ? '1 statement' : `${stats.count} statements`
  if (stats.replicaReads > 0) statements += `, ${stats.replicaReads} on replicas`
  return `db;desc="${statements}";dur=${stats.durationMs.toFixed(2)}`
}

/**
 * Every statement a request sends is counted in its own QueryStats (see infra/db/query-stats); the
 * count and the time go out in a Server-Timing header, to the metrics and, at info level, in the
 * access log line.
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
    reply.header(REQUEST_ID_HEADER, request.id)
    if (stats !== undefined) reply.header('server-timing', serverTiming(stats))
    done(null, payload)
  })
  const metrics = app.metrics
  // The access line is logged at info: at any level above that the hook would build it for nothing.
  const logAccess = ACCESS_LOG_LEVELS.includes(logLevel)
  app.addHook('onResponse', (request, reply, done) => {
    const ms = reply.elapsedTime
    metrics.observeRequest(request, reply.statusCode, ms)
    if (logAccess) {
      request.log.info(
        {
          method: request.method,
          url: request.url,
          status: reply.statusCode,
          ms: Number(ms.toFixed(2)),
          statements: request.queryStats?.count,
          dbMs: request.queryStats ? Number(request.queryStats.durationMs.toFixed(2)) : undefined,
        },
        'request',
      )
    }
    done()
  })
}

export interface HttpServerOptions {
  /** where log lines go (default: stdout) */
  logStream?: { write(line: string): void }
}

/** Browsers on these origins (storefronts) may call the API; with none configured no CORS header is ever sent. */
async function installCors(app: HttpServer, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return
  await app.register(cors, {
    origin: [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'prefer', REQUEST_ID_HEADER],
    exposedHeaders: [REQUEST_ID_HEADER, 'server-timing', 'idempotent-replayed', 'preference-applied'],
    maxAge: 600,
  })
}

export async function createHttpServer(config: Config, options: HttpServerOptions = {}): Promise<HttpServer> {
  const app: HttpServer = Fastify({
    logger: { level: config.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) },
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestIdOf,
    frameworkErrors: answerFrameworkError,
    // what Node's HTTP parser refuses (400, 408, 431) gets the standard error body too
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Path and query values arrive as text and must be coerced; a JSON body must already have the
  // right types (`"quantity": true` is an error, not 1).
  const strictAjv = newAjv(false)
  const coercingAjv = newAjv('array')
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema as object),
  )

  app.decorate('metrics', createMetrics())
  installRequestStats(app, config.logLevel)
  installErrorHandler(app)
  installRouteSummaries(app)
  await installCors(app, config.corsOrigins)

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
