import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
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

export async function createHttpServer(config: Config): Promise<HttpServer> {
  const app = Fastify({
    logger: { level: config.logLevel },
    disableRequestLogging: true,
    bodyLimit: config.bodyLimitBytes,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>()

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
  return app as unknown as HttpServer
}
