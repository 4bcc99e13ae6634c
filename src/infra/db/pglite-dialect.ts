import type { PGlite, Results, Transaction } from '@electric-sql/pglite'
import {
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely'

/**
 * Kysely dialect for PGlite. PGlite has exactly one connection, so the driver hands it to one
 * caller at a time (a FIFO lock) and runs transactions through PGlite's own `transaction()`, which
 * keeps PGlite's internal state (listeners, mutex) consistent. Statements without parameters go
 * through `exec` (simple protocol, several statements allowed), as pg does.
 */
export class PGliteDialect implements Dialect {
  readonly #pglite: PGlite

  constructor(pglite: PGlite) {
    this.#pglite = pglite
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter()
  }

  createDriver(): Driver {
    return new PGliteDriver(this.#pglite)
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's own signature
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db)
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler()
  }
}

class FifoLock {
  #tail: Promise<void> = Promise.resolve()

  async acquire(): Promise<() => void> {
    let release!: () => void
    const next = new Promise<void>((resolve) => {
      release = resolve
    })
    const previous = this.#tail
    this.#tail = previous.then(() => next)
    await previous
    return release
  }
}

const ROLLBACK = Symbol('rollback')

interface OpenTransaction {
  tx: Transaction
  finish: (commit: boolean) => void
  done: Promise<unknown>
}

class PGliteConnection implements DatabaseConnection {
  readonly #pglite: PGlite
  transaction: OpenTransaction | undefined

  constructor(pglite: PGlite) {
    this.#pglite = pglite
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const target = this.transaction?.tx ?? this.#pglite
    let result: Results<R>
    if (compiledQuery.parameters.length === 0) {
      const results = (await target.exec(compiledQuery.sql)) as Results<R>[]
      result = results[results.length - 1] ?? { rows: [], fields: [] }
    } else {
      result = await target.query<R>(compiledQuery.sql, compiledQuery.parameters as unknown[])
    }
    return {
      rows: result.rows,
      ...(result.affectedRows === undefined ? {} : { numAffectedRows: BigInt(result.affectedRows) }),
    }
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered by PGlite
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite dialect does not support streaming queries')
  }
}

class PGliteDriver implements Driver {
  readonly #pglite: PGlite
  readonly #lock = new FifoLock()
  readonly #connection: PGliteConnection
  #release: (() => void) | undefined

  constructor(pglite: PGlite) {
    this.#pglite = pglite
    this.#connection = new PGliteConnection(pglite)
  }

  async init(): Promise<void> {
    await this.#pglite.waitReady
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    this.#release = await this.#lock.acquire()
    return this.#connection
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release
    this.#release = undefined
    release?.()
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const conn = connection as PGliteConnection
    await new Promise<void>((started, failedToStart) => {
      let finish!: (commit: boolean) => void
      const outcome = new Promise<void>((resolve, reject) => {
        finish = (commit) => (commit ? resolve() : reject(ROLLBACK))
      })
      const done = this.#pglite
        .transaction(async (tx) => {
          try {
            if (settings.isolationLevel) await tx.query(`set transaction isolation level ${settings.isolationLevel}`)
            if (settings.accessMode) await tx.query(`set transaction ${settings.accessMode}`)
          } catch (error) {
            failedToStart(error)
            throw error
          }
          conn.transaction = { tx, finish, done }
          started()
          await outcome
        })
        .catch((error: unknown) => {
          if (error !== ROLLBACK) throw error
        })
      done.catch(() => {})
    })
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#endTransaction(connection as PGliteConnection, true)
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#endTransaction(connection as PGliteConnection, false)
  }

  async #endTransaction(conn: PGliteConnection, commit: boolean): Promise<void> {
    const open = conn.transaction
    if (!open) throw new Error('no transaction is open on the PGlite connection')
    conn.transaction = undefined
    open.finish(commit)
    await open.done
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await this.#inTransaction(connection, `savepoint ${quoteIdent(name)}`)
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await this.#inTransaction(connection, `rollback to savepoint ${quoteIdent(name)}`)
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await this.#inTransaction(connection, `release savepoint ${quoteIdent(name)}`)
  }

  async #inTransaction(connection: DatabaseConnection, statement: string): Promise<void> {
    const open = (connection as PGliteConnection).transaction
    if (!open) throw new Error('savepoints need an open transaction')
    await open.tx.query(statement)
  }

  async destroy(): Promise<void> {
    if (!this.#pglite.closed) await this.#pglite.close()
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
