/**
 * Loads from the database and the evictions that overtake them. A read that misses every tier
 * joins the load already under way for its key (stampede protection: one load per key and
 * process) or starts one for all its missing ids at once. A load that an eviction overtook — the
 * key was evicted here, through the bus, by a clear, or by an outage after it began — is served to
 * its readers but not cached: it may have read the row before the write that caused the eviction.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { KindCounters } from './cache-counters.ts'
import { type CacheId, type CacheKind, cacheKey } from './cache-keys.ts'

export interface CacheLoader<V> {
  /** The entries of `ids` that exist, keyed by id; an id left out is remembered as missing. Ids may arrive as strings. */
  load(ids: readonly CacheId[]): Promise<ReadonlyMap<CacheId, V>>
  /** The owning module's not-found error, thrown by getCachedDoc and getCachedValue. */
  notFound(id: CacheId): Error
}

/**
 * How long an eviction is remembered key by key. A load that began longer ago than this is not
 * cached (nothing is known of the evictions it may have missed); a clear of a kind or of
 * everything is remembered for good.
 */
const EVICTIONS_KEPT_MS = 60_000

/** An eviction: its place in the order of evictions in this process, and when it happened. */
interface Eviction {
  readonly seq: number
  readonly at: number
}

const NEVER: Eviction = { seq: 0, at: 0 }

/** A load's start: its place among the evictions (unknown for a module's own load), and when. */
export interface LoadStart {
  readonly mark?: number | undefined
  readonly at: number
}

/**
 * When entries were last evicted, as this process knows it. A load of this process is ordered
 * against evictions exactly, by the mark it takes when it starts: an eviction and the reload right
 * after it often fall in the same millisecond. Loads known only by their time — another process's
 * (a copy in Redis) — are compared in milliseconds, a tie counting as overtaken.
 */
export class EvictionClock {
  #seq = 0
  readonly #keys = new Map<string, Eviction>()
  readonly #kinds = new Map<CacheKind, Eviction>()
  /** everything changed, for loads of this process / for copies in Redis too */
  #allLoads = NEVER
  #allCopies = NEVER

  mark(): number {
    return this.#seq
  }

  key(key: string, at: number): void {
    // re-inserted, so that the Map stays in time order and forgetting old ones stops at the first recent one
    this.#keys.delete(key)
    this.#keys.set(key, { seq: ++this.#seq, at })
    for (const [old, eviction] of this.#keys) {
      if (eviction.at > at - EVICTIONS_KEPT_MS) break
      this.#keys.delete(old)
    }
  }

  kind(kind: CacheKind, at: number): void {
    this.#kinds.set(kind, { seq: ++this.#seq, at })
  }

  /** Every entry may have changed; `copiesToo`: Redis's copies as well (an outage, a clear). */
  all(at: number, copiesToo: boolean): void {
    this.#allLoads = { seq: ++this.#seq, at }
    if (!copiesToo) return
    this.#allCopies = this.#allLoads
    this.#keys.clear()
    this.#kinds.clear()
  }

  #last(kind: CacheKind, key: string, all: Eviction): Eviction {
    let last = all
    for (const eviction of [this.#keys.get(key), this.#kinds.get(kind)]) if (eviction && eviction.seq > last.seq) last = eviction
    return last
  }

  /** Whether a load of `key` that began at `start` may have read a row changed since: not to be cached. */
  overtook(kind: CacheKind, key: string, start: LoadStart, now = Date.now()): boolean {
    if (start.at <= now - EVICTIONS_KEPT_MS) return true
    const last = this.#last(kind, key, this.#allLoads)
    return start.mark === undefined ? last.at >= start.at : last.seq > start.mark
  }

  /** Whether a copy of `key` loaded from `loadedAt` on (another process's, in Redis) predates an eviction heard here. */
  outdates(kind: CacheKind, key: string, loadedAt: number): boolean {
    return this.#last(kind, key, this.#allCopies).at >= loadedAt
  }
}

/** The mark of the load whose loader is running (a loader that primes other kinds is ordered as exactly as its load). */
const runningLoad = new AsyncLocalStorage<number>()

export function runningLoadMark(): number | undefined {
  return runningLoad.getStore()
}

interface Flight {
  readonly kind: CacheKind
  readonly start: Required<LoadStart>
  done: Promise<Map<string, unknown>>
}

export interface LoadsOptions {
  loaderOf(kind: CacheKind): CacheLoader<unknown>
  counters(kind: CacheKind): KindCounters
  /** A loaded value (null: nothing there) that no eviction overtook; it may throw (strict serialization). */
  store(kind: CacheKind, key: string, value: unknown, startedAt: number): void
}

export class Loads {
  readonly evictions = new EvictionClock()
  readonly #inflight = new Map<string, Flight>()
  readonly #options: LoadsOptions

  constructor(options: LoadsOptions) {
    this.#options = options
  }

  /** Values by key (null: nothing there) for `ids`, joining loads under way and loading the rest at once. */
  async load(kind: CacheKind, ids: readonly CacheId[]): Promise<Map<string, unknown>> {
    const result = new Map<string, unknown>()
    const waits: Promise<void>[] = []
    const fresh: CacheId[] = []
    const freshKeys: string[] = []
    for (const id of ids) {
      const key = cacheKey(kind, id)
      if (result.has(key)) continue
      result.set(key, null)
      const flight = this.#inflight.get(key)
      if (flight) waits.push(flight.done.then((values) => void result.set(key, values.get(key) ?? null)))
      else {
        fresh.push(id)
        freshKeys.push(key)
      }
    }
    if (fresh.length > 0) {
      const done = this.#start(kind, fresh, freshKeys)
      waits.push(
        done.then((values) => {
          for (const key of freshKeys) result.set(key, values.get(key) ?? null)
        }),
      )
    }
    await Promise.all(waits)
    return result
  }

  #start(kind: CacheKind, ids: CacheId[], keys: string[]): Promise<Map<string, unknown>> {
    const flight: Flight = { kind, start: { mark: this.evictions.mark(), at: Date.now() }, done: Promise.resolve(new Map()) }
    for (const key of keys) this.#inflight.set(key, flight)
    // Run from a promise: a loader that throws at once (or a kind without one) rejects this load like any failure.
    flight.done = Promise.resolve().then(() => this.#run(flight, ids, keys))
    return flight.done
  }

  async #run(flight: Flight, ids: CacheId[], keys: string[]): Promise<Map<string, unknown>> {
    const { kind } = flight
    const counters = this.#options.counters(kind)
    let loaded: ReadonlyMap<CacheId, unknown>
    try {
      const loader = this.#options.loaderOf(kind)
      loaded = await runningLoad.run(flight.start.mark, () => loader.load(ids))
    } catch (error) {
      counters.loadErrors++
      throw error
    } finally {
      for (const key of keys) if (this.#inflight.get(key) === flight) this.#inflight.delete(key)
    }
    counters.loads += ids.length
    const values = new Map<string, unknown>()
    for (const [id, value] of loaded) values.set(cacheKey(kind, id), value)
    const now = Date.now()
    for (const key of keys) {
      const value = values.get(key) ?? null
      values.set(key, value)
      if (!this.evictions.overtook(kind, key, flight.start, now)) this.#options.store(kind, key, value, flight.start.at)
    }
    return values
  }

  /** These keys changed: loads under way for them are neither cached nor joined any more. */
  evicted(keys: readonly string[], now = Date.now()): void {
    for (const key of keys) {
      this.evictions.key(key, now)
      this.#inflight.delete(key)
    }
  }

  evictedKind(kind: CacheKind, now = Date.now()): void {
    this.evictions.kind(kind, now)
    for (const [key, flight] of this.#inflight) if (flight.kind === kind) this.#inflight.delete(key)
  }

  evictedAll(copiesToo: boolean, now = Date.now()): void {
    this.evictions.all(now, copiesToo)
    this.#inflight.clear()
  }
}
