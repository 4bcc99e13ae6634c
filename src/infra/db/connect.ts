import { createHash } from 'node:crypto'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { countingDialect } from './counting-dialect.ts'
import { lockDataDir } from './data-dir-lock.ts'
import type { Database, Db } from './database.ts'
import { ConnectionCircuit } from './outage.ts'
import { PGliteDialect } from './pglite-dialect.ts'
import { pgliteParsers, pgTypes } from './type-parsers.ts'

export interface PostgresOptions {
  url: string
  poolSize: number
  statementTimeoutMs: number
  /** client side: a server that stops answering (a paused replica) fails the query after this */
  queryTimeoutMs?: number
  /** application_name, to tell the nodes apart in pg_stat_activity (default brisk) */
  name?: string
}

export function describeUrl(url: string): string {
  const parsed = new URL(url)
  return `PostgreSQL ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`
}

/**
 * A statement whose text starts with this comment is sent as a named prepared statement: each
 * connection parses and plans it once, then only binds and runs it. For the hot write paths, whose
 * big CTE statements take longer to plan than to run; the comment keeps them recognisable in logs.
 */
export const PREPARED_MARK = '/* prepared */'

const statementNames = new Map<string, string>()

function preparedName(text: string): string {
  let name = statementNames.get(text)
  if (name === undefined) {
    name = `brisk_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`
    statementNames.set(text, name)
  }
  return name
}

/** Opening a connection: a server that has not let us in by then counts as down (see outage.ts). */
const CONNECT_TIMEOUT_MS = 1000
/** Waiting for a busy pool's next free connection; the server is up, so this may be longer. */
const POOL_WAIT_TIMEOUT_MS = 5000
/** While the server is down, at most one connection attempt this often (a request waits for it; the others get 503 at once). */
const RETRY_INTERVAL_MS = 250

class PreparingClient extends pg.Client {
  constructor(config: pg.ClientConfig = {}) {
    super({ ...config, connectionTimeoutMillis: CONNECT_TIMEOUT_MS })
    // A connection lost while a request holds the client fails that request's statement; the
    // client emits it as well, and an 'error' event nobody listens to would end the process.
    this.on('error', () => {})
  }

  // biome-ignore lint/suspicious/noExplicitAny: pg's overloads; Kysely calls query(text, values)
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && config.trimStart().startsWith(PREPARED_MARK)) {
      return super.query({ name: preparedName(config), text: config, values }, callback)
    }
    return super.query(config, values, callback)
  }
}

export function createPgPool(options: PostgresOptions): pg.Pool {
  const pool = new pg.Pool({
    Client: PreparingClient,
    connectionString: options.url,
    max: options.poolSize,
    types: pgTypes,
    application_name: options.name ?? 'brisk',
    ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}),
    // the client's own CONNECT_TIMEOUT_MS bounds opening a connection; this bounds waiting for one
    connectionTimeoutMillis: POOL_WAIT_TIMEOUT_MS,
    ...(options.statementTimeoutMs > 0 ? { statement_timeout: options.statementTimeoutMs } : {}),
  })
  // An idle client that loses its server emits here; without a listener the process would crash.
  pool.on('error', () => {})
  return pool
}

export function connectPostgres(options: PostgresOptions): Db {
  const pool = createPgPool(options)
  const circuit = new ConnectionCircuit(() => pool.connect(), { retryIntervalMs: RETRY_INTERVAL_MS })
  const guarded = { connect: () => circuit.acquire(), end: () => pool.end() }
  const primary = new Kysely<Database>({ dialect: countingDialect(new PostgresDialect({ pool: guarded })) })
  return {
    kind: 'postgres',
    primary,
    reader: primary,
    description: describeUrl(options.url),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: options.poolSize }),
    close: () => primary.destroy(),
  }
}

/** `dataDir` ':memory:' gives a throw-away in-memory database (tests, benchmarks). */
export async function connectPglite(dataDir: string): Promise<Db> {
  const inMemory = dataDir === ':memory:'
  const unlock = inMemory ? () => {} : lockDataDir(dataDir)
  let pglite: PGlite
  try {
    pglite = await PGlite.create(inMemory ? undefined : path.join(dataDir, 'pgdata'), { parsers: pgliteParsers })
  } catch (error) {
    unlock()
    throw error
  }
  return wrapPglite(pglite, inMemory ? 'embedded PGlite (in memory)' : `embedded PGlite in ${path.resolve(dataDir)}`, unlock)
}

export function wrapPglite(pglite: PGlite, description: string, onClose: () => void = () => {}): Db {
  const primary = new Kysely<Database>({ dialect: countingDialect(new PGliteDialect(pglite)) })
  return {
    kind: 'pglite',
    primary,
    reader: primary,
    description,
    close: async () => {
      try {
        await primary.destroy()
      } finally {
        onClose()
      }
    },
  }
}
