/**
 * Background reloads (seed 001's scheduled refresh, driven by reads): an entry read after
 * `refreshAt` × its TTL, or past its TTL within its grace, is served at once and reloaded here, so
 * a popular entry never makes a reader wait for the database. The entries read in one tick are
 * reloaded together, one load per kind, with statements counted apart from the requests that
 * read them.
 */
import { newQueryStats, runWithQueryStats } from '../db/query-stats.ts'
import type { KindCounters } from './cache-counters.ts'
import type { CacheId, CacheKind } from './cache-keys.ts'
import type { CacheLog } from './redis-tier.ts'

/** A background reload that failed (the database is down) is not tried again for this long. */
const RETRY_MS = 1000

export interface RefreshOptions {
  reload(kind: CacheKind, ids: readonly CacheId[]): Promise<unknown>
  counters(kind: CacheKind): KindCounters
  log: CacheLog
}

export class Refresher {
  /** keys queued or being reloaded → when another reload of them may start */
  readonly #blocked = new Map<string, number>()
  readonly #queue = new Map<CacheKind, { ids: CacheId[]; keys: string[] }>()
  readonly #options: RefreshOptions
  #stopped = false

  constructor(options: RefreshOptions) {
    this.#options = options
  }

  /** Reloads the entry of `key` soon, unless it is being reloaded or its last reload failed just now. */
  request(kind: CacheKind, id: CacheId, key: string, now: number): void {
    const blockedUntil = this.#blocked.get(key)
    if (this.#stopped || (blockedUntil !== undefined && now < blockedUntil)) return
    this.#blocked.set(key, Number.POSITIVE_INFINITY)
    const queued = this.#queue.get(kind)
    if (queued) {
      queued.ids.push(id)
      queued.keys.push(key)
      return
    }
    this.#queue.set(kind, { ids: [id], keys: [key] })
    if (this.#queue.size === 1) setImmediate(() => this.#run())
  }

  #run(): void {
    const queued = [...this.#queue]
    this.#queue.clear()
    for (const [kind, { ids, keys }] of queued) {
      if (this.#stopped) return
      this.#options.counters(kind).refreshes += ids.length
      runWithQueryStats(newQueryStats(), () => this.#options.reload(kind, ids)).then(
        () => {
          for (const key of keys) this.#blocked.delete(key)
        },
        (error: Error) => {
          const retryAt = Date.now() + RETRY_MS
          for (const key of keys) this.#blocked.set(key, retryAt)
          this.#options.log.debug({ kind, err: { message: error.message } }, 'cache refresh failed; the entries are served until they expire')
        },
      )
    }
  }

  stop(): void {
    this.#stopped = true
    this.#queue.clear()
  }
}
