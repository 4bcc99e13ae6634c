/**
 * Read-your-writes over HTTP, with replicas configured: a client's reads after its write never
 * see older data. After a successful write request the primary's WAL position goes out in the
 * `Brisk-Min-Lsn` header and into the shared written positions under the caller's session, before
 * the response goes out; a later request's read floor (read-floor.ts) is the larger of the header
 * it sends back and what its session wrote (looked up only if it reads from a replica). The router
 * then serves it only from a replica that has replayed that far.
 */
import type { FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import type { Db } from '../db/database.ts'
import { isLsn, PRIMARY_ONLY, parseLsn, raiseReadFloor } from '../db/read-floor.ts'
import type { WrittenPositions } from '../db/written-positions.ts'
import { invalid } from '../errors.ts'
import { type HttpServer, serverTiming } from './server.ts'

export const MIN_LSN_HEADER = 'brisk-min-lsn'

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

export interface ReadYourWritesOptions {
  db: Db
  positions: WrittenPositions
  /** the session a request belongs to (a staff token today), or undefined for an anonymous one */
  sessionOf: (request: FastifyRequest) => string | undefined
}

export function installReadYourWrites(app: HttpServer, options: ReadYourWritesOptions): void {
  const { db, positions, sessionOf } = options
  // after authentication (registered later than its preHandler), which names the session
  app.addHook('preHandler', (request, _reply, done) => {
    const sent = request.headers[MIN_LSN_HEADER]
    if (typeof sent === 'string' && sent !== '') {
      if (!isLsn(sent)) {
        done(invalid('INVALID_MIN_LSN', `The ${MIN_LSN_HEADER} header must be a WAL position like 0/16B3748 (as Brisk sent it), got "${sent.slice(0, 40)}".`, { in: 'header', field: MIN_LSN_HEADER }))
        return
      }
      raiseReadFloor(parseLsn(sent), request.queryStats)
    }
    const session = sessionOf(request)
    if (session !== undefined) request.queryStats.pendingFloor = () => positions.floorOf(session)
    done()
  })
  app.addHook('onSend', async (request, reply, payload) => {
    if (READS.has(request.method) || reply.statusCode >= 400) return payload
    const session = sessionOf(request)
    try {
      const { rows } = await sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(db.primary)
      const lsn = rows[0]!.lsn
      // Server-Timing was written by an earlier hook: it counts this statement too
      reply.header(MIN_LSN_HEADER, lsn).header('server-timing', serverTiming(request.queryStats))
      if (session !== undefined) await positions.record(session, parseLsn(lsn))
    } catch {
      // the write committed, its position is unknown: this session reads from the primary for a while
      if (session !== undefined) await positions.record(session, PRIMARY_ONLY)
    }
    return payload
  })
}
