/**
 * Telling a database outage from everything else: errors that mean PostgreSQL cannot be reached or
 * refuses sessions right now. The HTTP error handler answers them 503 with Retry-After, never 500;
 * the connection circuit below stops requests from each waiting on a connection attempt bound to fail.
 */

/** Node's socket and DNS errors: no server at the address, or the connection to it is gone. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
])

const TOO_MANY_CONNECTIONS = '53300'

/** A write sent to a server in recovery or set read-only: a demoted primary. */
export const READ_ONLY_SQL_TRANSACTION = '25006'

/** True when `error` says the primary took the statement but is read-only now (demoted, or a failover under way). */
export function isPrimaryReadOnly(error: unknown): boolean {
  return someInChain(error, (e) => e.code === READ_ONLY_SQL_TRANSACTION)
}

/** SQLSTATEs besides class 08 (connection exception): admin or crash shutdown, cannot connect now, too many connections. */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', TOO_MANY_CONNECTIONS])

/** pg-pool: no pooled connection came free in time. The server may be fine, only busy. */
export const POOL_WAIT_TIMEOUT = 'timeout exceeded when trying to connect'

/** What pg and pg-pool say, without a code, when a connection ends or cannot be opened in time. */
const DRIVER_MESSAGES = [
  POOL_WAIT_TIMEOUT,
  // pg's own connect timeout (connectionTimeoutMillis of a client)
  'timeout expired',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  // pg's query_timeout: the server took the query and stopped answering (a paused replica)
  'Query read timeout',
]

interface ErrorLike {
  code?: unknown
  message?: unknown
  cause?: unknown
  errors?: unknown
}

/** `error`, its causes and, for an AggregateError (a host with several addresses), each attempt's error. */
function someInChain(error: unknown, test: (e: ErrorLike) => boolean, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 5) return false
  const e = error as ErrorLike
  if (test(e)) return true
  if (Array.isArray(e.errors) && e.errors.some((inner) => someInChain(inner, test, depth + 1))) return true
  return someInChain(e.cause, test, depth + 1)
}

function meansUnavailable(e: ErrorLike): boolean {
  if (e instanceof DatabaseUnavailableError) return true
  const code = typeof e.code === 'string' ? e.code : ''
  if (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true
  const message = typeof e.message === 'string' ? e.message : ''
  // 'Connection terminated', '… unexpectedly', '… due to connection timeout'
  return message.startsWith('Connection terminated') || DRIVER_MESSAGES.includes(message)
}

/** True when `error` says the database cannot be reached or serve a session now, not that the request or the data is wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return someInChain(error, meansUnavailable)
}

/**
 * A failed connection attempt that says the server is down or unreachable. Not a busy pool, nor a
 * server at its connection limit: both still serve the connections already open.
 */
export function meansServerDown(error: unknown): boolean {
  return (
    isDatabaseUnavailable(error) &&
    !someInChain(error, (e) => e.code === TOO_MANY_CONNECTIONS || e.message === POOL_WAIT_TIMEOUT)
  )
}

/** A request refused without trying, because the last attempt to connect failed moments ago. */
export class DatabaseUnavailableError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE'

  constructor(failedAt: number, now: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(`The database is unavailable: connecting failed ${Math.round(now - failedAt)} ms ago (${reason}).`, { cause })
    this.name = 'DatabaseUnavailableError'
  }
}

export interface CircuitOptions {
  /** Least time between two connection attempts while the server is down. */
  retryIntervalMs: number
  now?: () => number
}

/**
 * Guards opening connections. While closed, every acquisition goes through. Once a connection
 * attempt fails in a way that says the server is down, it opens: requests are refused at once
 * (DatabaseUnavailableError) instead of each waiting for its own attempt — which matters when
 * the server does not answer at all and every attempt would wait for the connect timeout. One
 * request per `retryIntervalMs` is let through as the trial; the first acquisition that succeeds
 * closes it. So a single failed attempt refuses healthy traffic for about one interval at most,
 * and no timer runs: with no traffic there is nothing to recover for.
 */
export class ConnectionCircuit<C> {
  readonly #acquire: () => Promise<C>
  readonly #retryIntervalMs: number
  readonly #now: () => number
  #down: { failedAt: number; cause: unknown } | undefined
  #trialRunning = false

  constructor(acquire: () => Promise<C>, options: CircuitOptions) {
    this.#acquire = acquire
    this.#retryIntervalMs = options.retryIntervalMs
    this.#now = options.now ?? (() => performance.now())
  }

  get isOpen(): boolean {
    return this.#down !== undefined
  }

  async acquire(): Promise<C> {
    const down = this.#down
    const trial = down !== undefined
    if (down) {
      const now = this.#now()
      if (this.#trialRunning || now - down.failedAt < this.#retryIntervalMs) {
        throw new DatabaseUnavailableError(down.failedAt, now, down.cause)
      }
      this.#trialRunning = true
    }
    try {
      const connection = await this.#acquire()
      this.#down = undefined
      return connection
    } catch (error) {
      if (meansServerDown(error)) this.#down = { failedAt: this.#now(), cause: error }
      throw error
    } finally {
      if (trial) this.#trialRunning = false
    }
  }
}
