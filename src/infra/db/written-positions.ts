/**
 * Read-your-writes across processes: the primary's WAL position after each session's last write.
 * Without Redis it is this process's memory. With Redis every process shares it: a write is stored
 * there before its response goes out, and a request looks its session up only when it is about to
 * read from a replica (read-floor.ts), so requests that never touch a replica pay nothing.
 *
 * An entry lives `ttlMs`: past that, every replica still serving has replayed it (a replica further
 * behind than the lag limit is skipped). When Redis cannot answer, the session reads from the
 * primary: not knowing what it wrote must not mean reading older data.
 */
import { Redis } from 'ioredis'
import { PRIMARY_ONLY } from './read-floor.ts'

const SWEEP_AT_SIZE = 10_000

/** Stores a position only if it is past the one stored (hex, zero-padded: text order is number order). */
const RAISE_SCRIPT = `local known = redis.call('GET', KEYS[1])
if (not known) or known < ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`

export interface WrittenPositionsOptions {
  ttlMs: number
  /** Redis shared by every process; without it the positions are this process's only */
  redisUrl?: string | undefined
  /** a Redis command not answered by then counts as failed */
  redisTimeoutMs?: number
  keyPrefix?: string
}

const hex = (lsn: bigint) => lsn.toString(16).padStart(17, '0')

export class WrittenPositions {
  readonly #local = new Map<string, { lsn: bigint; until: number }>()
  readonly #ttlMs: number
  readonly #prefix: string
  readonly #redis: Redis | undefined

  constructor(options: WrittenPositionsOptions) {
    this.#ttlMs = options.ttlMs
    this.#prefix = options.keyPrefix ?? 'brisk:written-lsn:'
    if (!options.redisUrl) return
    this.#redis = new Redis(options.redisUrl, {
      commandTimeout: options.redisTimeoutMs ?? 500,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 250,
    })
    this.#redis.on('error', () => {})
  }

  /** Resolves once Redis answers, or after `timeoutMs` (until then a session that asks reads from the primary). */
  async ready(timeoutMs: number): Promise<void> {
    const redis = this.#redis
    if (redis === undefined || redis.status === 'ready') return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, timeoutMs)
      function finish() {
        clearTimeout(timer)
        redis!.off('ready', finish)
        resolve()
      }
      redis.once('ready', finish)
    })
  }

  /** `session` wrote, and the primary was at `lsn` after the commit: later reads of the session must see it. */
  async record(session: string, lsn: bigint): Promise<void> {
    this.#remember(session, lsn, Date.now())
    await this.#redis?.eval(RAISE_SCRIPT, 1, this.#prefix + session, hex(lsn), String(this.#ttlMs)).catch(() => {})
  }

  /** The WAL position a replica must have replayed to serve `session`; undefined: any replica. */
  async floorOf(session: string): Promise<bigint | undefined> {
    const local = this.#localFloor(session)
    if (this.#redis === undefined) return local
    let shared: string | null
    try {
      shared = await this.#redis.get(this.#prefix + session)
    } catch {
      return PRIMARY_ONLY
    }
    if (shared === null) return local
    const lsn = BigInt(`0x${shared}`)
    return local === undefined || local < lsn ? lsn : local
  }

  #localFloor(session: string): bigint | undefined {
    const entry = this.#local.get(session)
    if (entry === undefined) return undefined
    if (entry.until > Date.now()) return entry.lsn
    this.#local.delete(session)
    return undefined
  }

  #remember(session: string, lsn: bigint, now: number): void {
    const known = this.#local.get(session)
    if (known === undefined || known.lsn <= lsn || known.until <= now) this.#local.set(session, { lsn, until: now + this.#ttlMs })
    if (this.#local.size > SWEEP_AT_SIZE) {
      for (const [key, entry] of this.#local) if (entry.until <= now) this.#local.delete(key)
    }
  }

  close(): void {
    this.#redis?.disconnect()
  }
}
