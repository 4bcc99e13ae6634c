/** What the cache counts, per kind: read by `/metrics` (cache-metrics.ts) and `brisk cache stats`. */
import { CACHE_KIND_NAMES, type CacheKind } from './cache-keys.ts'

export interface KindCounters {
  requestHits: number
  requestMisses: number
  memoryHits: number
  memoryMisses: number
  /** served past its TTL (within its grace) while it reloads */
  staleHits: number
  redisHits: number
  redisMisses: number
  /** ids read from the database */
  loads: number
  loadErrors: number
  /** background reloads of entries read near or past their TTL */
  refreshes: number
  evictions: number
  serializationErrors: number
}

export function newCounters(): Record<CacheKind, KindCounters> {
  const counters = (): KindCounters => ({
    requestHits: 0,
    requestMisses: 0,
    memoryHits: 0,
    memoryMisses: 0,
    staleHits: 0,
    redisHits: 0,
    redisMisses: 0,
    loads: 0,
    loadErrors: 0,
    refreshes: 0,
    evictions: 0,
    serializationErrors: 0,
  })
  return Object.fromEntries(CACHE_KIND_NAMES.map((kind) => [kind, counters()])) as Record<CacheKind, KindCounters>
}
