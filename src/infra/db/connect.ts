import { createHash } from 'node:crypto'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect, type PostgresPoolClient } from 'kysely'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { copyStatementOf } from './copy-rows.ts'
import { countingDialect } from './counting-dialect.ts'
import { lockDataDir } from './data-dir-lock.ts'
import type { Database, Db } from './database.ts'
import { ConnectionCircuit, READ_ONLY_SQL_TRANSACTION } from './outage.ts'
import { PGliteDialect } from './pglite-dialect.ts'
import { ReadRouter, type RouterLog } from './read-router.ts'
import { pgliteParsers, pgTypes } from './type-parsers.ts'

export interface PostgresOptions {
  url: string
  poolSize: number
  statementTimeoutMs: number
  /** client side: a server that stops answering (a paused replica) fails the query after this */
  queryTimeoutMs?: number
  /** opening a connection: a server that has not let us in by then counts as down (default 1000) */
  connectTimeoutMs?: number
  /** application_name, to tell the nodes apart in pg_stat_activity (default brisk) */
  name?: string
  /** server side, per statement: waiting this long for a lock fails the statement (the bulk pool's) */
  lockTimeoutMs?: number
}

/**
 * How long a bulk writer's statement waits for a row lock before it fails (and its chunk can be
 * resumed): the import yields to the tills, never the tills to the import.
 */
export const BULK_LOCK_TIMEOUT_MS = 2000
/** Connections for bulk work: an import runs one chunk at a time on one of them. */
const BULK_POOL_SIZE = 2

export interface ReplicaOptions {
  urls: readonly string[]
  /** client side, per read on a replica: a replica that stops answering fails the read after this, and it runs elsewhere */
  queryTimeoutMs: number
  maxLagMs: number
  checkIntervalMs: number
  log: RouterLog
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

/** Opening a connection, unless told (BRISK_DB_CONNECT_TIMEOUT_MS): a server that has not let us in by then counts as down (see outage.ts). */
const CONNECT_TIMEOUT_MS = 1000
/** Waiting for a busy pool's next free connection; the server is up, so this may be longer. */
const POOL_WAIT_TIMEOUT_MS = 5000
/** While the server is down, at most one connection attempt this often (a request waits for it; the others get 503 at once). */
const RETRY_INTERVAL_MS = 250

/** What pg.Pool hands each client it makes (its own options), with ours beside pg's. */
interface PreparingClientConfig extends pg.ClientConfig {
  briskConnectTimeoutMs?: number
  /** called when a statement fails because the server is read-only (25006): a demoted primary */
  onReadOnly?: () => void
}

class PreparingClient extends pg.Client {
  readonly #onReadOnly: (() => void) | undefined

  constructor(config: PreparingClientConfig = {}) {
    super({ ...config, connectionTimeoutMillis: config.briskConnectTimeoutMs ?? CONNECT_TIMEOUT_MS })
    this.#onReadOnly = config.onReadOnly
    // A connection lost while a request holds the client fails that request's statement; the
    // client emits it as well, and an 'error' event nobody listens to would end the process.
    this.on('error', () => {})
  }

  // biome-ignore lint/suspicious/noExplicitAny: pg's overloads; Kysely calls query(text, values)
  override query(config: any, values?: any, callback?: any): any {
    const copy = typeof config === 'string' ? copyStatementOf(config) : undefined
    if (copy !== undefined) return this.#copy(copy, String(values?.[0] ?? ''))
    const result =
      typeof config === 'string' && config.trimStart().startsWith(PREPARED_MARK)
        ? super.query({ name: preparedName(config), text: config, values }, callback)
        : super.query(config, values, callback)
    const onReadOnly = this.#onReadOnly
    if (onReadOnly !== undefined && result instanceof Promise) {
      result.catch((error: { code?: unknown }) => {
        if (error?.code === READ_ONLY_SQL_TRANSACTION) onReadOnly()
      })
    }
    return result
  }

  /** A marked COPY (copy-rows.ts): its data streamed to the server; answers like a query does. */
  async #copy(statement: string, data: string): Promise<{ command: string; rowCount: number; rows: never[] }> {
    const stream = super.query(copyFrom(statement))
    await pipeline(Readable.from([data]), stream)
    return { command: 'COPY', rowCount: stream.rowCount, rows: [] }
  }
}

export function createPgPool(options: PostgresOptions, onReadOnly?: () => void): pg.Pool {
  const config: pg.PoolConfig & PreparingClientConfig = {
    Client: PreparingClient,
    connectionString: options.url,
    max: options.poolSize,
    types: pgTypes,
    application_name: options.name ?? 'brisk',
    ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}),
    // the client's own connect timeout bounds opening a connection; this bounds waiting for one
    connectionTimeoutMillis: POOL_WAIT_TIMEOUT_MS,
    ...(options.connectTimeoutMs ? { briskConnectTimeoutMs: options.connectTimeoutMs } : {}),
    ...(onReadOnly ? { onReadOnly } : {}),
    ...(options.statementTimeoutMs > 0 ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(options.lockTimeoutMs ? { lock_timeout: options.lockTimeoutMs } : {}),
  }
  const pool = new pg.Pool(config)
  // An idle client that loses its server emits here; without a listener the process would crash.
  pool.on('error', () => {})
  return pool
}

/**
 * The primary's pool. When the server behind its URL turns read-only (demoted, or a failover moved
 * the URL's name to another server), its open connections still lead to the old server: the pool
 * is replaced by a fresh one, so the next write connects anew and finds the writable primary.
 */
class PrimaryPool {
  readonly #options: PostgresOptions
  readonly #onRebuilt: () => void
  #pool: pg.Pool

  constructor(options: PostgresOptions, onRebuilt: () => void) {
    this.#options = options
    this.#onRebuilt = onRebuilt
    this.#pool = this.#create()
  }

  #create(): pg.Pool {
    const pool: pg.Pool = createPgPool(this.#options, () => {
      if (this.#pool !== pool) return // an older pool's connection: replaced already
      this.#pool = this.#create()
      // the old pool closes its clients as they come back; a statement still running on one finishes first
      void pool.end().catch(() => {})
      this.#onRebuilt()
    })
    return pool
  }

  connect(): Promise<pg.PoolClient> {
    return this.#pool.connect()
  }

  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> {
    return this.#pool.query(text, values)
  }

  stats() {
    const pool = this.#pool
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: this.#options.poolSize }
  }

  end(): Promise<void> {
    return this.#pool.end()
  }
}

export interface ConnectPostgresOptions extends PostgresOptions {
  replicas?: ReplicaOptions
}

export function connectPostgres(options: ConnectPostgresOptions): Db {
  const log = options.replicas?.log
  const pool = new PrimaryPool(options, () =>
    log?.warn({}, 'the primary is read-only (demoted?): its pool was rebuilt, writes are refused until a writable primary answers'),
  )
  const circuit = new ConnectionCircuit(() => pool.connect(), { retryIntervalMs: RETRY_INTERVAL_MS })
  const guarded = { connect: () => circuit.acquire(), end: () => pool.end() }
  const primary = new Kysely<Database>({ dialect: countingDialect(new PostgresDialect({ pool: guarded })) })
  const router = options.replicas?.urls.length ? createReadRouter(options, options.replicas, pool, guarded) : undefined
  const reader = router ? new Kysely<Database>({ dialect: countingDialect(new PostgresDialect({ pool: router })) }) : primary
  const bulk = bulkWriter(options)
  return {
    kind: 'postgres',
    primary,
    reader,
    bulk,
    ...(router ? { replicas: router } : {}),
    description: describeUrl(options.url),
    poolStats: () => pool.stats(),
    close: async () => {
      // Kysely ends only a pool it has used: the router's, with the monitor's connections, is closed here too
      if (reader !== primary) await reader.destroy()
      await router?.close()
      await bulk.destroy()
      await primary.destroy()
    },
  }
}

/** The primary again, through a small pool of its own whose connections wait at most BULK_LOCK_TIMEOUT_MS for a lock. */
function bulkWriter(options: PostgresOptions): Kysely<Database> {
  const pool = new PrimaryPool({ ...options, poolSize: BULK_POOL_SIZE, lockTimeoutMs: BULK_LOCK_TIMEOUT_MS, name: `${options.name ?? 'brisk'} bulk` }, () => {})
  const circuit = new ConnectionCircuit(() => pool.connect(), { retryIntervalMs: RETRY_INTERVAL_MS })
  return new Kysely<Database>({ dialect: countingDialect(new PostgresDialect({ pool: { connect: () => circuit.acquire(), end: () => pool.end() } })) })
}

function createReadRouter(
  primaryOptions: PostgresOptions,
  options: ReplicaOptions,
  primaryPool: PrimaryPool,
  primaryConnections: { connect(): Promise<PostgresPoolClient> },
): ReadRouter {
  const replicas = options.urls.map((url, i) => {
    const name = `replica-${i + 1}`
    // a replica that takes longer to let Brisk in than to answer a read is as good as down
    const connectTimeoutMs = Math.min(primaryOptions.connectTimeoutMs ?? options.queryTimeoutMs, options.queryTimeoutMs)
    const pool = createPgPool({ ...primaryOptions, url, name: `brisk ${name}`, queryTimeoutMs: options.queryTimeoutMs, connectTimeoutMs })
    return { name, address: describeUrl(url), pool }
  })
  return new ReadRouter({
    replicas,
    primary: { connect: () => primaryConnections.connect(), query: (text) => primaryPool.query(text) },
    log: options.log,
    maxLagMs: options.maxLagMs,
    checkIntervalMs: options.checkIntervalMs,
  })
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
