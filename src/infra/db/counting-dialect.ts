import { performance } from 'node:perf_hooks'
import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely'
import { recordStatement } from './query-stats.ts'

/**
 * Wraps any dialect so that every statement sent to the server — BEGIN, COMMIT and ROLLBACK
 * included — is counted and timed in the current request's QueryStats.
 */
export function countingDialect(inner: Dialect): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createDriver: () => new CountingDriver(inner.createDriver()),
    // biome-ignore lint/suspicious/noExplicitAny: Kysely's own signature
    createIntrospector: (db: Kysely<any>): DatabaseIntrospector => inner.createIntrospector(db),
    createQueryCompiler: (): QueryCompiler => inner.createQueryCompiler(),
  }
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now()
  try {
    return await fn()
  } finally {
    recordStatement(label, performance.now() - start)
  }
}

class CountingConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection

  constructor(inner: DatabaseConnection) {
    this.inner = inner
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return timed(compiledQuery.sql, () => this.inner.executeQuery<R>(compiledQuery))
  }

  streamQuery<R>(compiledQuery: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    recordStatement(compiledQuery.sql, 0)
    return this.inner.streamQuery<R>(compiledQuery, chunkSize)
  }
}

class CountingDriver implements Driver {
  readonly #inner: Driver
  readonly #wrappers = new WeakMap<DatabaseConnection, CountingConnection>()

  constructor(inner: Driver) {
    this.#inner = inner
  }

  init(): Promise<void> {
    return this.#inner.init()
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.#inner.acquireConnection()
    let wrapper = this.#wrappers.get(connection)
    if (!wrapper) {
      wrapper = new CountingConnection(connection)
      this.#wrappers.set(connection, wrapper)
    }
    return wrapper
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(unwrap(connection))
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return timed('begin', () => this.#inner.beginTransaction(unwrap(connection), settings))
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return timed('commit', () => this.#inner.commitTransaction(unwrap(connection)))
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return timed('rollback', () => this.#inner.rollbackTransaction(unwrap(connection)))
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const inner = this.#inner
    if (!inner.savepoint) throw new Error('this dialect has no savepoints')
    await timed(`savepoint ${name}`, () => inner.savepoint!(unwrap(connection), name, compileQuery))
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const inner = this.#inner
    if (!inner.rollbackToSavepoint) throw new Error('this dialect has no savepoints')
    await timed(`rollback to savepoint ${name}`, () => inner.rollbackToSavepoint!(unwrap(connection), name, compileQuery))
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const inner = this.#inner
    if (!inner.releaseSavepoint) throw new Error('this dialect has no savepoints')
    await timed(`release savepoint ${name}`, () => inner.releaseSavepoint!(unwrap(connection), name, compileQuery))
  }

  destroy(): Promise<void> {
    return this.#inner.destroy()
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof CountingConnection ? connection.inner : connection
}
