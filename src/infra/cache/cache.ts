/**
 * Cached master data in three tiers: the request (request-tier.ts), this process's memory
 * (memory-tier.ts, bounded in bytes) and Redis when BRISK_REDIS_URL is set — bentocache's L1 and L2
 * (cache-bento.ts), with its Redis bus evicting an entry from every process's memory when one
 * process evicts it (shared-evictions.ts); entries go in and out of the tiers in tier-store.ts.
 * Without Redis: memory only, same API. With BRISK_CACHE=off every read goes to the loaders.
 *
 * Reads (`getCachedDoc`, `findCachedDoc`, `getCachedValue`, `findCachedDocs`) take a kind and ids;
 * the module that owns a kind registers its loader, which reads many ids in one statement. A read
 * that misses every tier joins a load already under way for the same key or starts one for all its
 * missing ids at once (cache-loads.ts: a page of 50 products is one statement, never 50).
 * bentocache's getOrSet is not used for this: it loads key by key, and its hit path (about 5 µs)
 * would cost more than the rest of a warm request.
 *
 * Not found is the same everywhere: `getCachedDoc` and `getCachedValue` throw the owning module's
 * not-found error, `findCachedDoc` answers undefined, `findCachedDocs` leaves the id out.
 *
 * Entries are never changed in place: a writer evicts them after its transaction commits
 * (`evict`), and the next read loads them again. A load that an eviction overtook is served to
 * its caller but not cached, and a copy in Redis loaded before an eviction this process heard of
 * is not trusted. A hot entry is reloaded in the background before it expires (cache-refresh.ts),
 * and an expired one is served within its grace while it reloads, so a reader never waits for the
 * database for a popular product — and gets the cached copy while the database is down.
 */
import { type Bento, createBento } from './cache-bento.ts'
import { type KindCounters, newCounters } from './cache-counters.ts'
import {
  type CachedValue,
  type CacheId,
  type CacheKind,
  type CacheKindOverrides,
  type CacheKindSpecs,
  cacheKey,
  kindSpecs,
  listingTag,
} from './cache-keys.ts'
import { type CacheLoader, Loads, runningLoadMark } from './cache-loads.ts'
import { Refresher } from './cache-refresh.ts'
import { type MemoryEntry, MemoryTier } from './memory-tier.ts'
import { type CacheLog, RedisTier, SILENT_LOG } from './redis-tier.ts'
import { existingRequestTier, requestTier } from './request-tier.ts'
import { readBusMessage, SharedEvictions } from './shared-evictions.ts'
import { TierStore } from './tier-store.ts'

export type { KindCounters } from './cache-counters.ts'
export type { CacheLoader } from './cache-loads.ts'
export { CacheSerializationError } from './tier-store.ts'

export interface CacheOptions {
  /** BRISK_CACHE: off sends every read to the loaders */
  enabled: boolean
  /** BRISK_CACHE_MEMORY_MB in bytes */
  memoryBytes: number
  redisUrl?: string | undefined
  redisTimeoutMs: number
  /** Redis keys and bus channel start with it: one per shop sharing a Redis (default 'brisk') */
  prefix?: string | undefined
  log?: CacheLog | undefined
  /**
   * A value that cannot round-trip through JSON throws (so the test that caches it fails) instead of
   * being logged, counted and served uncached. Default: when run by node's test runner, which marks
   * its processes with NODE_TEST_CONTEXT — a fact about the process, not configuration.
   */
  strictSerialization?: boolean | undefined
  /** timings other than CACHE_KINDS' (tests use short ones) */
  kinds?: CacheKindOverrides | undefined
}

export class Cache {
  readonly enabled: boolean
  readonly prefix: string
  readonly kinds: CacheKindSpecs
  readonly memory: MemoryTier
  readonly counters: Readonly<Record<CacheKind, KindCounters>>
  readonly #redis: RedisTier | undefined
  readonly #shared: SharedEvictions | undefined
  readonly #bento: Bento
  readonly #tiers: TierStore
  readonly #loaders = new Map<CacheKind, CacheLoader<unknown>>()
  readonly #loads: Loads
  readonly #refresher: Refresher
  readonly #busLatencyListeners: ((seconds: number) => void)[] = []
  #closed = false

  constructor(options: CacheOptions) {
    this.enabled = options.enabled
    this.prefix = options.prefix ?? 'brisk'
    this.kinds = kindSpecs(options.kinds)
    this.memory = new MemoryTier(options.memoryBytes, this.kinds)
    this.counters = newCounters()
    const log = options.log ?? SILENT_LOG
    this.#redis =
      options.enabled && options.redisUrl
        ? new RedisTier({
            url: options.redisUrl,
            timeoutMs: options.redisTimeoutMs,
            log,
            onRecovered: () => this.#afterOutage(),
            onBusReconnected: () => this.#forgetAll(),
          })
        : undefined
    this.#bento = createBento({
      prefix: this.prefix,
      memory: this.memory,
      redis: this.#redis,
      log,
      onBusMessage: (message) => this.#heard(message),
      closed: () => this.#closed,
    })
    const { prefix, kinds, memory, counters } = this
    const timeoutMs = options.redisTimeoutMs
    this.#shared = this.#redis && new SharedEvictions({ bento: this.#bento, redis: this.#redis, prefix, timeoutMs })
    const strict = options.strictSerialization ?? process.env['NODE_TEST_CONTEXT'] !== undefined
    this.#tiers = new TierStore({ memory, redis: this.#redis, prefix, kinds, counters, strict, log })
    this.#loads = new Loads({
      loaderOf: (kind) => this.#loaderOf(kind),
      counters: (kind) => this.counters[kind],
      store: (kind, key, value, startedAt) => this.#tiers.store(kind, key, value, startedAt),
    })
    this.#refresher = new Refresher({
      reload: (kind, ids) => this.#loads.load(kind, ids),
      counters: (kind) => this.counters[kind],
      log,
    })
  }

  /** Connects to Redis (if configured) and subscribes to the bus; Brisk starts without Redis when it does not answer. */
  async start(): Promise<this> {
    // bentocache subscribes when its store is first used: before a failed connect marks Redis down, which would skip it
    this.#bento.use()
    await this.#redis?.connect()
    await this.#redis?.subscribed()
    return this
  }

  /** The loader of `kind`; a module registers its kinds once per cache (a second registration is ignored). */
  register<K extends CacheKind>(kind: K, loader: CacheLoader<CachedValue<K>>): void {
    if (!this.#loaders.has(kind)) this.#loaders.set(kind, loader as CacheLoader<unknown>)
  }

  #loaderOf(kind: CacheKind): CacheLoader<unknown> {
    const loader = this.#loaders.get(kind)
    if (!loader) throw new Error(`no loader is registered for the cache kind ${kind}`)
    return loader
  }

  async getCachedDoc<K extends CacheKind>(kind: K, id: CacheId): Promise<CachedValue<K>> {
    const doc = await this.findCachedDoc(kind, id)
    if (doc === undefined) throw this.#loaderOf(kind).notFound(id)
    return doc
  }

  async getCachedValue<K extends CacheKind, F extends keyof CachedValue<K>>(kind: K, id: CacheId, field: F): Promise<CachedValue<K>[F]> {
    return (await this.getCachedDoc(kind, id))[field]
  }

  /**
   * What the request tier or memory holds for `id`, without waiting (the hot path of a request that
   * can answer synchronously): the value, null for an id known to have nothing, undefined when a
   * read (findCachedDoc) must look further.
   */
  peekCachedDoc<K extends CacheKind>(kind: K, id: CacheId): CachedValue<K> | null | undefined {
    if (!this.enabled) return undefined
    return this.#peek(kind, id, cacheKey(kind, id), requestTier(), Date.now()) as CachedValue<K> | null | undefined
  }

  async findCachedDoc<K extends CacheKind>(kind: K, id: CacheId): Promise<CachedValue<K> | undefined> {
    if (this.enabled) {
      const hit = this.#peek(kind, id, cacheKey(kind, id), requestTier(), Date.now())
      if (hit !== undefined) return (hit ?? undefined) as CachedValue<K> | undefined
    }
    return (await this.findCachedDocs(kind, [id], true)).get(id)
  }

  /** The entries of `ids` that exist, by id; every miss is read in one load. */
  async findCachedDocs<K extends CacheKind, I extends CacheId>(
    kind: K,
    ids: readonly I[],
    peeked = false,
  ): Promise<Map<I, CachedValue<K>>> {
    const found = new Map<I, CachedValue<K>>()
    if (ids.length === 0) return found
    if (!this.enabled) {
      const loaded = new Map<string, unknown>()
      for (const [id, value] of await this.#loaderOf(kind).load([...new Set(ids)])) loaded.set(cacheKey(kind, id), value)
      for (const id of ids) {
        const value = loaded.get(cacheKey(kind, id))
        if (value !== undefined && value !== null) found.set(id, value as CachedValue<K>)
      }
      return found
    }
    const tier = requestTier()
    let missing: I[] = []
    if (peeked) missing = [...ids]
    else {
      const now = Date.now()
      for (const id of ids) {
        const hit = this.#peek(kind, id, cacheKey(kind, id), tier, now)
        if (hit === undefined) missing.push(id)
        else if (hit !== null) found.set(id, hit as CachedValue<K>)
      }
    }
    if (missing.length > 0) await this.#fetch(kind, missing, found as Map<CacheId, unknown>, tier)
    return found
  }

  /**
   * The request tier, then memory: the value, null for an id known to have nothing, undefined when
   * neither tier knows. An entry near or past its TTL is served and reloaded in the background.
   */
  #peek(kind: CacheKind, id: CacheId, key: string, tier: Map<string, unknown> | undefined, now: number): unknown {
    const counters = this.counters[kind]
    if (tier !== undefined) {
      const value = tier.get(key)
      if (value !== undefined) {
        counters.requestHits++
        return value
      }
      counters.requestMisses++
    }
    const entry = this.memory.peek(key, now)
    if (entry === undefined) {
      counters.memoryMisses++
      return undefined
    }
    counters.memoryHits++
    if (now >= entry.refreshAt) this.#refreshSoon(kind, id, key, entry, now)
    tier?.set(key, entry.value)
    return entry.value
  }

  #refreshSoon(kind: CacheKind, id: CacheId, key: string, entry: MemoryEntry, now: number): void {
    if (now >= entry.logicalExpiration) this.counters[kind].staleHits++
    this.#refresher.request(kind, id, key, now)
  }

  /** Misses of the fast tiers: Redis (one pipeline), then one load for whatever Redis lacks. */
  async #fetch(kind: CacheKind, ids: CacheId[], found: Map<CacheId, unknown>, tier: Map<string, unknown> | undefined): Promise<void> {
    const rest = this.#redis && !this.#redis.down ? await this.#fromRedis(kind, ids, found, tier) : ids
    if (rest.length === 0) return
    const loaded = await this.#loads.load(kind, rest)
    for (const id of rest) {
      const key = cacheKey(kind, id)
      const value = loaded.get(key) ?? null
      tier?.set(key, value)
      if (value !== null) found.set(id, value)
    }
  }

  /** What Redis holds of `ids` goes in `found` (and memory); returns the ids still to load. */
  async #fromRedis(kind: CacheKind, ids: CacheId[], found: Map<CacheId, unknown>, tier: Map<string, unknown> | undefined) {
    const entries = await this.#tiers.fromRedis(kind, ids, this.#loads.evictions)
    const rest: CacheId[] = []
    const now = Date.now()
    for (const id of ids) {
      const entry = entries.get(id)
      if (entry === undefined) {
        rest.push(id)
        continue
      }
      const key = cacheKey(kind, id)
      if (now >= entry.refreshAt) this.#refreshSoon(kind, id, key, entry, now)
      tier?.set(key, entry.value)
      if (entry.value !== null) found.set(id, entry.value)
    }
    return rest
  }

  /**
   * Stores values a module loaded itself, outside any transaction (a lookup by SKU reads whole
   * products: they are kept as products too). The same rules as a load: no bus message, and an
   * entry evicted since `loadStartedAt` is not stored.
   */
  prime<K extends CacheKind>(kind: K, entries: Iterable<readonly [CacheId, CachedValue<K>]>, loadStartedAt: number): void {
    if (!this.enabled) return
    const now = Date.now()
    const start = { mark: runningLoadMark(), at: loadStartedAt }
    for (const [id, value] of entries) {
      const key = cacheKey(kind, id)
      if (!this.#loads.evictions.overtook(kind, key, start, now)) this.#tiers.store(kind, key, value, loadStartedAt)
    }
  }

  /** After a commit that changed these entries: gone from every tier of every process (within the bus latency). */
  async evict(kind: CacheKind, ids: readonly CacheId[]): Promise<void> {
    await this.evictMany([{ kind, ids }])
  }

  async evictMany(targets: readonly { kind: CacheKind; ids: readonly CacheId[] }[]): Promise<void> {
    if (!this.enabled) return
    const keys = targets.flatMap(({ kind, ids }) => {
      this.counters[kind].evictions += ids.length
      return ids.map((id) => cacheKey(kind, id))
    })
    // Whoever wrote it, the storefront shells showing a product or category are stale from now on (versioned page
    // tags, storefront/page-cache-tiers.ts), and so are the listings of its kind: it may have joined or left one.
    for (const { kind, ids } of targets) {
      if (!this.kinds[kind].tagsPages || ids.length === 0) continue
      this.counters.pageTag.evictions += ids.length + 1
      for (const id of ids) keys.push(cacheKey('pageTag', cacheKey(kind, id)))
      keys.push(cacheKey('pageTag', listingTag(kind)))
    }
    if (keys.length === 0) return
    const tier = existingRequestTier()
    for (const key of keys) {
      this.memory.delete(key)
      tier?.delete(key)
    }
    this.#loads.evicted(keys)
    await this.#shared?.evict(keys)
  }

  /** A message of the bus from another process; bentocache drops the keys from memory itself. */
  #heard(message: { keys: string[]; type: string }): void {
    const news = readBusMessage(message, Date.now())
    if (news.everything) this.#forgetAll()
    for (const kind of news.kinds) this.#forgetKind(kind)
    for (const key of news.keys) this.memory.delete(key)
    this.#loads.evicted(news.keys)
    for (const seconds of news.latencies) for (const listener of this.#busLatencyListeners) listener(seconds)
  }

  /**
   * Redis is back. Messages of the bus were lost meanwhile, so this process's memory may hold
   * entries others changed: it starts empty, and copies loaded before now are not trusted (another
   * process's eviction may have missed them). Evictions made here meanwhile are sent now.
   */
  #afterOutage(): void {
    this.#forgetAll()
    void this.#shared?.replay()
  }

  /** `copiesToo`: what Redis holds from before now is not trusted either. */
  #forgetAll(copiesToo = true): void {
    this.memory.clear()
    this.#loads.evictedAll(copiesToo)
  }

  #forgetKind(kind: CacheKind): void {
    this.memory.deletePrefix(`${kind}:`)
    this.#loads.evictedKind(kind)
  }

  onBusLatency(listener: (seconds: number) => void): void {
    this.#busLatencyListeners.push(listener)
  }

  /** Drops every entry (or every entry of one kind) from memory here, from Redis, and from every process's memory. */
  async clear(kind?: CacheKind): Promise<void> {
    if (kind === undefined) {
      this.#forgetAll()
      await this.#shared?.clearAll()
    } else {
      for (const cleared of this.kinds[kind].tagsPages ? [kind, 'pageTag' as const] : [kind]) {
        this.#forgetKind(cleared)
        await this.#shared?.clearKind(cleared)
      }
    }
  }

  /** Empties this process's memory tier only (tests that reset the database under a running app); Redis is read as before. */
  clearMemory(): void {
    this.#forgetAll(false)
  }

  /** Waits for the Redis writes under way (a command that filled the tiers, before it exits). */
  async flush(): Promise<void> {
    await this.#tiers.flush()
  }

  get redis(): { configured: boolean; down: boolean; errors: number; outages: number } {
    const redis = this.#redis
    return { configured: redis !== undefined, down: redis?.down ?? false, errors: redis?.errors ?? 0, outages: redis?.outages ?? 0 }
  }

  /** The Redis connection, for `brisk cache stats` (undefined without Redis). */
  get redisConnection() {
    return this.#redis?.connection
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#shared?.stop()
    this.#refresher.stop()
    this.#tiers.close()
    // Stops the bus's retry timer at once; its QUITs are not waited for (Redis may hang, or be gone for good).
    void this.#bento.disconnect().catch(() => {})
    this.#redis?.close()
  }
}

/**
 * A memory tier of its own, for a service built without the app's cache (tests, scripts): it needs
 * no start and holds no timers or connections, so it goes away with the service.
 */
export function memoryOnlyCache(memoryBytes = 64 * 1024 * 1024): Cache {
  return new Cache({ enabled: true, memoryBytes, redisTimeoutMs: 100 })
}

/** A started cache; close() it. */
export function createCache(options: CacheOptions): Promise<Cache> {
  return new Cache(options).start()
}
