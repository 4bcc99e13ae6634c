import { performance } from 'node:perf_hooks'
import type { FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import { Type } from 'typebox'
import type { Db } from '../db/database.ts'
import { errorResponses } from './schemas.ts'
import type { HttpServer } from './server.ts'

const Ready = Type.Object({ status: Type.Literal('ok') })
const NotReady = Type.Object({ status: Type.Literal('unavailable') })

const Details = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  uptimeSeconds: Type.Number(),
  database: Type.Object({
    kind: Type.String(),
    description: Type.String({ description: 'Host, port and database name, or the data folder; never a password' }),
    latencyMs: Type.Union([Type.Number(), Type.Null()], { description: 'Time of `select 1`; null when it failed' }),
    error: Type.Optional(Type.String()),
    pool: Type.Optional(
      Type.Object({ total: Type.Integer(), idle: Type.Integer(), waiting: Type.Integer(), max: Type.Integer() }),
    ),
  }),
})

async function checkDatabase(db: Db): Promise<{ latencyMs: number | null; error?: string }> {
  const start = performance.now()
  try {
    await sql`select 1`.execute(db.primary)
    return { latencyMs: Number((performance.now() - start).toFixed(2)) }
  } catch (error) {
    return { latencyMs: null, error: error instanceof Error ? error.message : String(error) }
  }
}

export interface HealthOptions {
  /** Throws (an AppError) when the caller may not see where the database is; decided by the composition root. */
  authorizeDetails: (request: FastifyRequest) => void
}

/**
 * The public probes answer only up or down: where the database lives is for operators, behind a token.
 */
export function registerHealthRoutes(app: HttpServer, db: Db, options: HealthOptions): void {
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['health'],
        security: [],
        summary: 'Liveness',
        description: 'Liveness: the process answers HTTP.',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )
  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        security: [],
        summary: 'Readiness',
        description: 'Readiness: the database answers. The body says only ok or unavailable; details are at /health/details.',
        response: { 200: Ready, 503: NotReady },
      },
    },
    async (request, reply) => {
      const check = await checkDatabase(db)
      if (check.latencyMs !== null) return { status: 'ok' as const }
      request.log.warn({ error: check.error }, 'readiness check failed: the database does not answer')
      return reply.status(503).send({ status: 'unavailable' as const })
    },
  )
  app.get(
    '/health/details',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness with details, for operators',
        description:
          'Readiness with details for operators: which database, its latency, the connection pool. Needs an admin token.',
        response: { 200: Details, 503: Details, ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      options.authorizeDetails(request)
      const check = await checkDatabase(db)
      const database = { kind: db.kind, description: db.description, ...check, ...(db.poolStats ? { pool: db.poolStats() } : {}) }
      const status = check.latencyMs === null ? ('unavailable' as const) : ('ok' as const)
      return reply
        .status(status === 'ok' ? 200 : 503)
        .send({ status, uptimeSeconds: Math.round(process.uptime()), database })
    },
  )
}
