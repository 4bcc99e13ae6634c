/**
 * The process tier: bentocache's L1 layer, holding decoded, frozen values bounded by their size in
 * bytes. bentocache's own memory driver keeps entries as JSON text so that it can count bytes, and
 * parses the whole entry on every hit (measured here: 200k hits/s for a product); this one parses
 * once, when the entry arrives (tier-store.ts puts loads and Redis hits in), and the cache reads it
 * directly (`peek`) — a Map lookup.
 */
import type { CreateDriverResult, L1CacheDriver } from 'bentocache/types'
import { CACHE_KINDS, type CacheKindSpecs, kindOfKey } from './cache-keys.ts'

export interface MemoryEntry {
  /** deep-frozen: every reader shares it; null remembers an id with nothing behind it */
  readonly value: unknown
  readonly createdAt: number
  /** fresh until then */
  readonly logicalExpiration: number
  /** a read after this reloads the entry in the background */
  readonly refreshAt: number
  /** gone after this (the end of its grace) */
  readonly expiresAt: number
  /** estimated bytes on the heap */
  readonly size: number
  /** read since the eviction hand last passed it (second chance) */
  used: boolean
}

/**
 * Bytes an entry takes on the heap, from its JSON size: 396 bytes of JSON for a product took 618
 * bytes of heap as a decoded object in the Map (`brisk cache measure` shows the figures of a shop).
 */
const HEAP_BYTES_PER_JSON_BYTE = 1.5
const ENTRY_OVERHEAD_BYTES = 64

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const item of Object.values(value)) deepFreeze(item)
  }
  return value
}

interface RawItem {
  value: unknown
  createdAt: number
  logicalExpiration: number
}

export class MemoryTier implements L1CacheDriver {
  readonly type = 'l1' as const
  readonly maxBytes: number
  readonly #entries = new Map<string, MemoryEntry>()
  #bytes = 0
  #evictions = 0

  readonly #kinds: CacheKindSpecs

  constructor(maxBytes: number, kinds: CacheKindSpecs = CACHE_KINDS) {
    this.maxBytes = maxBytes
    this.#kinds = kinds
  }

  /** The driver bentocache's store is given: this very tier, holding objects rather than JSON. */
  asDriver(): CreateDriverResult<L1CacheDriver> {
    return { options: { serialize: false }, factory: () => this }
  }

  get bytes(): number {
    return this.#bytes
  }

  get entries(): number {
    return this.#entries.size
  }

  get evictions(): number {
    return this.#evictions
  }

  /** The entry of `key` unless it is gone; the cache's read path. */
  peek(key: string, now: number): MemoryEntry | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      this.delete(key)
      return undefined
    }
    entry.used = true
    return entry
  }

  // bentocache's L1 driver interface: it deletes entries (evictions, bus messages, clears).

  get(key: string): string | undefined {
    return this.peek(key, Date.now()) as unknown as string | undefined
  }

  pull(key: string): string | undefined {
    const entry = this.get(key)
    this.delete(key)
    return entry
  }

  /**
   * `item` is an entry as bentocache builds it, or its JSON when it comes from Redis. `jsonLength`:
   * the length of the value's JSON, when the caller made it already (it is measured otherwise).
   */
  set(key: string, item: string | RawItem, ttl?: number, jsonLength?: number): boolean {
    const raw: RawItem = typeof item === 'string' ? (JSON.parse(item) as RawItem) : item
    if (typeof raw?.logicalExpiration !== 'number' || raw.value === undefined) return false
    const now = Date.now()
    const spec = this.#kinds[kindOfKey(key) ?? 'product']
    const length = typeof item === 'string' ? item.length : (jsonLength ?? JSON.stringify(raw.value)?.length ?? 4)
    const size = Math.ceil(length * HEAP_BYTES_PER_JSON_BYTE + ENTRY_OVERHEAD_BYTES + key.length)
    this.delete(key)
    if (size > this.maxBytes / 4) return false
    // Gone at the end of its own grace, whatever lifetime it arrives with (none from Redis).
    const end = raw.value === null ? raw.logicalExpiration : raw.logicalExpiration + spec.staleMs
    const expiresAt = Math.min(ttl ? now + ttl : Number.POSITIVE_INFINITY, end)
    const refreshAt = raw.value === null ? expiresAt : raw.logicalExpiration - (1 - spec.refreshAt) * spec.ttlMs
    this.#entries.set(key, {
      value: deepFreeze(raw.value),
      createdAt: raw.createdAt,
      logicalExpiration: raw.logicalExpiration,
      refreshAt,
      expiresAt,
      size,
      used: false,
    })
    this.#bytes += size
    if (this.#bytes > this.maxBytes) this.#evictTo(this.maxBytes)
    return true
  }

  /**
   * Second chance: the oldest entry goes unless it was read since the hand last passed it; then it
   * moves to the back. A hit only sets a flag, instead of reordering the Map on every read.
   */
  #evictTo(limit: number): void {
    for (const [key, entry] of this.#entries) {
      if (this.#bytes <= limit) return
      this.#entries.delete(key)
      if (entry.used) {
        entry.used = false
        this.#entries.set(key, entry)
      } else {
        this.#bytes -= entry.size
        this.#evictions++
      }
    }
  }

  getRemainingTtl(key: string): number | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined || entry.expiresAt === Number.POSITIVE_INFINITY) return undefined
    return Math.max(0, entry.expiresAt - Date.now())
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key)
    if (entry === undefined) return false
    this.#entries.delete(key)
    this.#bytes -= entry.size
    return true
  }

  deleteMany(keys: string[]): boolean {
    for (const key of keys) this.delete(key)
    return true
  }

  /** Drops every entry whose key starts with `prefix` (a kind: `product:`). */
  deletePrefix(prefix: string): void {
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.delete(key)
  }

  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
  }

  namespace(): L1CacheDriver {
    return this
  }

  async disconnect(): Promise<void> {}
}
