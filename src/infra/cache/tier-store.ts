/**
 * Entries into the memory tier and Redis, and back out of Redis. An entry is stored as bentocache
 * stores one (`{ value, createdAt, logicalExpiration }` in JSON, under `<prefix>:<kind>:<id>`), so
 * that its bus and deletes work on it, but with the value's JSON made once — the same JSON that
 * proves it round-trips — and a page of entries is read back with one MGET rather than a
 * bentocache get per id.
 */
import type { KindCounters } from './cache-counters.ts'
import type { EvictionClock } from './cache-loads.ts'
import { type CacheId, type CacheKind, type CacheKindSpec, type CacheKindSpecs, cacheKey } from './cache-keys.ts'
import { findUnserializable } from './json-safe.ts'
import { deepFreeze, type MemoryEntry, type MemoryTier } from './memory-tier.ts'
import type { CacheLog, RedisTier } from './redis-tier.ts'

export class CacheSerializationError extends Error {}

export interface TierStoreOptions {
  memory: MemoryTier
  redis: RedisTier | undefined
  prefix: string
  kinds: CacheKindSpecs
  counters: Readonly<Record<CacheKind, KindCounters>>
  strict: boolean
  log: CacheLog
}

/** When the load that read `entry` began (its TTL counts from then; createdAt is when it was stored). */
function loadedAt(spec: CacheKindSpec, entry: MemoryEntry): number {
  return entry.logicalExpiration - (entry.value === null ? spec.missingTtlMs : spec.ttlMs)
}

export class TierStore {
  /** Redis writes under way (`flush`) */
  readonly #writes = new Set<Promise<void>>()
  readonly #options: TierStoreOptions
  #closed = false

  constructor(options: TierStoreOptions) {
    this.#options = options
  }

  /**
   * Stores a loaded value (null: nothing there) in memory at once and in Redis in the background:
   * a request never waits for Redis to store. Its TTL counts from when the load began. No bus
   * message: other processes hold either the same value or nothing (a write evicts before anyone
   * loads again).
   */
  store(kind: CacheKind, key: string, value: unknown, startedAt: number): void {
    const { memory, redis, kinds, prefix } = this.#options
    const spec = kinds[kind]
    const now = Date.now()
    let ttl = spec.missingTtlMs - (now - startedAt)
    let lifetime = ttl
    let json = 'null'
    if (value !== null) {
      const serialized = this.#serialized(kind, key, value)
      if (serialized === undefined) return
      json = serialized
      ttl = spec.ttlMs - (now - startedAt)
      lifetime = ttl + spec.staleMs
    }
    if (ttl <= 0 || this.#closed) return
    const logicalExpiration = now + ttl
    memory.set(key, { value: deepFreeze(value), createdAt: now, logicalExpiration }, lifetime, json.length)
    if (!redis || redis.down) return
    const item = `{"value":${json},"createdAt":${now},"logicalExpiration":${logicalExpiration}}`
    const write: Promise<void> = redis.connection.set(`${prefix}:${key}`, item, 'PX', lifetime).then(
      () => void this.#writes.delete(write),
      (error: Error) => {
        this.#writes.delete(write)
        redis.failed(error)
      },
    )
    this.#writes.add(write)
  }

  /** The value's JSON, or undefined (logged and counted, or thrown when strict) when it would not come back the same. */
  #serialized(kind: CacheKind, key: string, value: unknown): string | undefined {
    const problem = findUnserializable(value)
    if (problem === undefined) return JSON.stringify(value)
    this.#options.counters[kind].serializationErrors++
    const message = `The cache entry ${key} cannot be stored: ${problem}. Cached values must be plain JSON.`
    if (this.#options.strict) throw new CacheSerializationError(message)
    this.#options.log.error({ key, problem }, `${message} Served uncached.`)
    return undefined
  }

  /**
   * What Redis holds of `ids`, put in memory: their memory entries by id. An entry loaded before an
   * eviction this process heard of (or before an outage it lived through) is not trusted: an
   * eviction it missed may have been meant for it.
   */
  async fromRedis(kind: CacheKind, ids: readonly CacheId[], evictions: EvictionClock): Promise<Map<CacheId, MemoryEntry>> {
    const { memory, redis, prefix, kinds, counters } = this.#options
    const found = new Map<CacheId, MemoryEntry>()
    let texts: (string | null)[]
    try {
      texts = await redis!.connection.mget(ids.map((id) => `${prefix}:${cacheKey(kind, id)}`))
    } catch (error) {
      redis!.failed(error as Error)
      return found
    }
    const now = Date.now()
    ids.forEach((id, i) => {
      const key = cacheKey(kind, id)
      // a load that finished meanwhile has put its value in memory: as new as Redis's
      let entry = memory.peek(key, now)
      const text = texts[i]
      if (entry === undefined && text != null && this.#keep(key, text)) {
        entry = memory.peek(key, now)
        if (entry !== undefined && evictions.outdates(kind, key, loadedAt(kinds[kind], entry))) {
          memory.delete(key)
          entry = undefined
        }
      }
      if (entry !== undefined) found.set(id, entry)
    })
    counters[kind].redisHits += found.size
    counters[kind].redisMisses += ids.length - found.size
    return found
  }

  /** Puts an entry read from Redis in memory; one that is not bentocache's JSON is left out. */
  #keep(key: string, text: string): boolean {
    try {
      return this.#options.memory.set(key, text)
    } catch (error) {
      this.#options.log.debug({ key, err: { message: (error as Error).message } }, 'unreadable cache entry in Redis; loaded again')
      return false
    }
  }

  /** Waits for the Redis writes under way. */
  async flush(): Promise<void> {
    while (this.#writes.size > 0) await Promise.all(this.#writes)
  }

  close(): void {
    this.#closed = true
  }
}
