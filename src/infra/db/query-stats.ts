import { AsyncLocalStorage } from 'node:async_hooks'

/** Statements sent and time spent in the database, for one request or one CLI operation. */
export interface QueryStats {
  count: number
  durationMs: number
  /** Filled only when a caller asked to see the statements (expectQueries). */
  statements: string[] | undefined
  /** statements a replica served (the rest went to the primary) */
  replicaReads: number
  /** the replica this request read from (read-router.ts): its later reads go there too, one point in time */
  readNode: object | undefined
  /** replica reads must see the primary at least at this WAL position (read-floor.ts); undefined: any replica */
  readFloor: bigint | undefined
  /** looks up more of the floor (the session's last write) when the request first reads from the reader */
  pendingFloor: (() => Promise<bigint | undefined>) | undefined
}

const storage = new AsyncLocalStorage<QueryStats>()

export function newQueryStats(recordStatements = false): QueryStats {
  return { count: 0, durationMs: 0, statements: recordStatements ? [] : undefined, replicaReads: 0, readNode: undefined, readFloor: undefined, pendingFloor: undefined }
}

/** Runs `fn` with its own statement counter; every statement it sends is counted there. */
export function runWithQueryStats<T>(stats: QueryStats, fn: () => T): T {
  return storage.run(stats, fn)
}

/** Starts counting for the rest of the current async flow (used by Fastify's onRequest hook). */
export function enterQueryStats(stats: QueryStats): void {
  storage.enterWith(stats)
}

export function currentQueryStats(): QueryStats | undefined {
  return storage.getStore()
}

export function recordStatement(sql: string, durationMs: number): void {
  const stats = storage.getStore()
  if (!stats) return
  stats.count += 1
  stats.durationMs += durationMs
  stats.statements?.push(sql)
}
