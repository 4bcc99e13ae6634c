import { sql } from 'kysely'
import { Type } from 'typebox'
import type { Db } from '../db/database.ts'
import type { HttpServer } from './server.ts'

export function registerHealthRoutes(app: HttpServer, db: Db): void {
  app.get(
    '/health/live',
    { schema: { tags: ['health'], security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  )
  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        security: [],
        response: {
          200: Type.Object({ status: Type.Literal('ok'), database: Type.String() }),
          503: Type.Object({ status: Type.Literal('unavailable'), database: Type.String() }),
        },
      },
    },
    async (_request, reply) => {
      try {
        await sql`select 1`.execute(db.primary)
        return { status: 'ok' as const, database: db.description }
      } catch {
        return reply.status(503).send({ status: 'unavailable' as const, database: db.description })
      }
    },
  )
}
