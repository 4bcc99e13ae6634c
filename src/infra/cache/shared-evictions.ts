/**
 * Evictions and clears beyond this process: deleted from Redis and sent on bentocache's bus to
 * every other process's memory tier. No eviction waits more than the Redis timeout (a clear, an
 * operator's command, takes as many SCANs as Redis holds keys, each within the timeout). While
 * Redis is down they are remembered and sent when it is back (bus messages of the outage are
 * lost); past MAX_REMEMBERED keys, Redis is cleared instead.
 *
 * Control keys ride on the bus's delete messages (an UNLINK of them in Redis deletes nothing):
 * `~sent:<ms>` measures the bus latency, `~clear:<kind>` clears a kind, `~clear-all` everything.
 */
import type { BentoCache, BentoStore } from 'bentocache'
import { type CacheKind, isCacheKind } from './cache-keys.ts'
import { type RedisTier, withTimeout } from './redis-tier.ts'

const SENT_AT = '~sent:'
const CLEAR_KIND = '~clear:'
const CLEAR_ALL = '~clear-all'
const MAX_REMEMBERED = 10_000
/**
 * A load in another process that read before a commit may store its copy in Redis just after the
 * eviction: the keys are deleted again this much later, those of every eviction meanwhile at once.
 */
const EVICT_AGAIN_MS = 500

const sentNow = () => `${SENT_AT}${Date.now()}`

interface Missed {
  keys: Set<string>
  kinds: Set<CacheKind>
  everything: boolean
}

const nothingMissed = (): Missed => ({ keys: new Set(), kinds: new Set(), everything: false })

/** What a bus message from another process says. */
export interface BusNews {
  keys: string[]
  kinds: CacheKind[]
  everything: boolean
  /** seconds each of the message's sends took to arrive */
  latencies: number[]
}

export function readBusMessage(message: { keys: string[]; type: string }, now: number): BusNews {
  const news: BusNews = { keys: [], kinds: [], everything: message.type === 'clear', latencies: [] }
  for (const key of message.keys) {
    if (key === CLEAR_ALL) news.everything = true
    else if (key.startsWith(SENT_AT)) news.latencies.push((now - Number(key.slice(SENT_AT.length))) / 1000)
    else if (key.startsWith(CLEAR_KIND)) {
      const kind = key.slice(CLEAR_KIND.length)
      if (isCacheKind(kind)) news.kinds.push(kind)
    } else news.keys.push(key)
  }
  return news
}

export interface SharedEvictionsOptions {
  bento: BentoCache<Record<string, BentoStore>>
  redis: RedisTier
  prefix: string
  timeoutMs: number
}

export class SharedEvictions {
  #missed = nothingMissed()
  readonly #again = new Set<string>()
  #againTimer: NodeJS.Timeout | undefined
  readonly #options: SharedEvictionsOptions

  constructor(options: SharedEvictionsOptions) {
    this.#options = options
  }

  async evict(keys: readonly string[]): Promise<void> {
    await this.#evictNow(keys)
    for (const key of keys) this.#again.add(key)
    this.#againTimer ??= setTimeout(() => {
      this.#againTimer = undefined
      const again = [...this.#again]
      this.#again.clear()
      void this.#evictNow(again)
    }, EVICT_AGAIN_MS).unref()
  }

  #evictNow(keys: readonly string[]): Promise<void> {
    const { bento, timeoutMs } = this.#options
    return this.#send(
      () => withTimeout(bento.deleteMany({ keys: [...keys, sentNow()] }), timeoutMs),
      (missed) => {
        for (const key of keys) missed.keys.add(key)
      },
    )
  }

  /** No more deletes later (the cache is closing). */
  stop(): void {
    clearTimeout(this.#againTimer)
    this.#again.clear()
  }

  clearKind(kind: CacheKind): Promise<void> {
    return this.#send(
      () => this.#clearNow(kind),
      (missed) => missed.kinds.add(kind),
    )
  }

  clearAll(): Promise<void> {
    return this.#send(
      () => this.#clearNow(undefined),
      (missed) => {
        missed.everything = true
      },
    )
  }

  /** Runs `operation` on Redis; if Redis is down or fails meanwhile, remembers it (`remember`). */
  async #send(operation: () => Promise<unknown>, remember: (missed: Missed) => void): Promise<void> {
    const { redis } = this.#options
    if (!redis.down) {
      try {
        await operation()
        // bentocache swallows failures of its Redis layer; the cache's wrapper marked Redis down
        if (!redis.down) return
      } catch (error) {
        redis.failed(error as Error)
      }
    }
    remember(this.#missed)
    if (this.#missed.keys.size > MAX_REMEMBERED) {
      this.#missed.everything = true
      this.#missed.keys.clear()
    }
  }

  /** Deletes the entries of `kind` (or all) from Redis, then tells the other processes. */
  async #clearNow(kind: CacheKind | undefined): Promise<void> {
    const { redis, prefix, bento, timeoutMs } = this.#options
    let cursor = '0'
    do {
      const [next, keys] = await redis.connection.scan(cursor, 'MATCH', `${prefix}:${kind === undefined ? '' : `${kind}:`}*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.connection.unlink(...keys)
      cursor = next
    } while (cursor !== '0')
    const marker = kind === undefined ? CLEAR_ALL : `${CLEAR_KIND}${kind}`
    await withTimeout(bento.deleteMany({ keys: [marker, sentNow()] }), timeoutMs)
  }

  /** Redis is back: sends what it missed (remembered again if Redis fails meanwhile). */
  async replay(): Promise<void> {
    const missed = this.#missed
    this.#missed = nothingMissed()
    if (missed.everything) {
      await this.clearAll()
      return
    }
    for (const kind of missed.kinds) await this.clearKind(kind)
    if (missed.keys.size > 0) await this.#evictNow([...missed.keys])
  }
}
