/**
 * The Redis side of the cache: bentocache's L2 connection, the connections of its invalidation bus,
 * and whether Redis is reachable. Redis is an optimisation, never a dependency: while it is down or
 * hanging, reads and fills skip it at once (no request waits more than BRISK_REDIS_TIMEOUT_MS, and
 * only those that found the outage wait that long), one warning is logged per outage, and a probe
 * notices when it is back.
 */
import { Redis, type RedisOptions } from 'ioredis'

/** The subset of pino the cache logs with. */
export interface CacheLog {
  debug(obj: object, msg: string): void
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export const SILENT_LOG: CacheLog = { debug() {}, info() {}, warn() {}, error() {} }

/** While Redis is down, one PING this often finds out when it is back. */
const PROBE_INTERVAL_MS = 250

const retryStrategy = (times: number) => Math.min(times * 100, 1000)

export class RedisDownError extends Error {
  constructor() {
    super('Redis is unreachable; skipped')
  }
}

/** `promise`, or a rejection once `ms` have passed without its answer. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export interface RedisTierOptions {
  url: string
  timeoutMs: number
  log: CacheLog
  /** Redis answers again after an outage */
  onRecovered: () => void
  /** a bus connection lost its connection and is back, its subscription live again: messages sent meanwhile are lost */
  onBusReconnected: () => void
}

export class RedisTier {
  /** bentocache's L2 layer: fails at once while disconnected, and after timeoutMs while Redis hangs */
  readonly connection: Redis
  /** handed to the bus driver, which duplicates it into its publisher and subscriber */
  readonly busBase: Redis
  readonly #busConnections: Redis[] = []
  /** the bus's SUBSCRIBE commands, answered once Redis is reachable */
  readonly #subscriptions: Promise<unknown>[] = []
  readonly #options: RedisTierOptions
  #down = false
  #downSince = 0
  #closing = false
  #probe: NodeJS.Timeout | undefined
  errors = 0
  outages = 0

  constructor(options: RedisTierOptions) {
    this.#options = options
    const timeout = options.timeoutMs
    this.connection = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      commandTimeout: timeout,
      connectTimeout: Math.max(timeout, 1000),
      // a write that timed out must not land later, after an eviction that followed it
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      retryStrategy,
      // the GETs of one page of products go out as one pipeline
      enableAutoPipelining: true,
    })
    this.connection.on('error', (error: Error) => this.failed(error))
    this.connection.on('close', () => {
      if (!this.#closing) this.#markDown(new Error('connection closed'))
    })
    // The bus queues while disconnected and never gives up (its publishes are bounded by the cache's own timer);
    // its subscriber resubscribes by itself when Redis is back.
    this.busBase = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy })
    this.busBase.duplicate = (override?: Partial<RedisOptions>) => this.#busConnection(override)
  }

  #busConnection(override?: Partial<RedisOptions>): Redis {
    const connection = new Redis({ ...this.busBase.options, ...override, lazyConnect: false })
    connection.on('error', () => {
      this.errors++
    })
    let lost = false
    connection.on('close', () => {
      lost = true
    })
    // A PING answered after 'ready' comes after the resubscription the connection sent on reconnecting.
    connection.on('ready', () => {
      if (!lost) return
      lost = false
      connection.ping().then(this.#options.onBusReconnected, () => {})
    })
    // The transport subscribes without anyone awaiting it: a SUBSCRIBE flushed when the connection is
    // closed must not become an unhandled rejection.
    const subscribe = connection.subscribe.bind(connection) as (...args: unknown[]) => Promise<unknown>
    connection.subscribe = ((...args: unknown[]) => {
      const subscribed = subscribe(...args).catch(() => undefined)
      this.#subscriptions.push(subscribed)
      return subscribed
    }) as typeof connection.subscribe
    this.#busConnections.push(connection)
    return connection
  }

  /** Resolves once the bus is subscribed, or after the timeout (Redis down: Brisk starts without it). */
  async subscribed(): Promise<void> {
    await withTimeout(Promise.all(this.#subscriptions), this.#options.timeoutMs).catch(() => {})
  }

  get down(): boolean {
    return this.#down
  }

  /** Connects, or starts down (with its warning) when Redis does not answer in time: Brisk serves without it. */
  async connect(): Promise<void> {
    try {
      await withTimeout(this.connection.connect(), Math.max(this.#options.timeoutMs, 1000))
    } catch (error) {
      this.failed(error as Error)
    }
  }

  /** An operation on Redis failed or timed out. */
  failed(error: Error): void {
    if (error instanceof RedisDownError) return
    this.errors++
    this.#markDown(error)
  }

  #markDown(error: Error): void {
    if (this.#down || this.#closing) return
    this.#down = true
    this.#downSince = Date.now()
    this.outages++
    this.#options.log.warn(
      { err: { message: error.message } },
      'Redis is unreachable: the cache serves from memory and the database until it is back',
    )
    this.#probe = setInterval(() => this.#tryRecover(), PROBE_INTERVAL_MS)
    this.#probe.unref()
  }

  async #tryRecover(): Promise<void> {
    if (!this.#down || this.#closing || this.connection.status !== 'ready') return
    try {
      await this.connection.ping()
    } catch {
      return
    }
    if (!this.#down || this.#closing) return
    clearInterval(this.#probe)
    this.#down = false
    this.#options.log.info({ downMs: Date.now() - this.#downSince }, 'Redis is back: the cache uses it again')
    this.#options.onRecovered()
  }

  /** Stops everything at once: commands under way fail, and nothing waits for a Redis that hangs. */
  close(): void {
    this.#closing = true
    clearInterval(this.#probe)
    for (const connection of [...this.#busConnections, this.connection, this.busBase]) connection.disconnect()
  }
}
