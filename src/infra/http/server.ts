import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import type { Config } from '../../config/config.ts'
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

function newAjv(coerceTypes: false | 'array'): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: true, strict: false })
  addFormats.default(ajv)
  return ajv
}

export async function createHttpServer(config: Config): Promise<HttpServer> {
  const app: HttpServer = Fastify({
    logger: { level: config.logLevel },
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

  // Every statement a request sends is counted in its own QueryStats (see infra/db/query-stats).
  app.decorateRequest('queryStats')
  app.addHook('onRequest', (request, _reply, done) => {
    const stats = newQueryStats()
    request.queryStats = stats
    runWithQueryStats(stats, done)
  })
  app.addHook('onSend', async (request, reply, payload) => {
    const stats = request.queryStats
    reply.header('server-timing', `db;desc="${stats.count} statements";dur=${stats.durationMs.toFixed(2)}`)
    return payload
  })
  app.addHook('onResponse', async (request, reply) => {
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
  })

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
