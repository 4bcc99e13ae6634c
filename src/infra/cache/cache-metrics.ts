/**
 * The cache's families on /metrics, read from its counters when scraped (nothing is counted twice
 * on the hot path). Summed over workers like every family (cluster-metrics.ts).
 */
import { Counter, Gauge, Histogram } from 'prom-client'
import type { Metrics } from '../http/metrics.ts'
import type { Cache, KindCounters } from './cache.ts'
import { CACHE_KIND_NAMES } from './cache-keys.ts'

/** A counter family by kind, its values read from the cache's counters. */
function kindCounter(metrics: Metrics, cache: Cache, name: string, help: string, field: keyof KindCounters): void {
  new Counter({
    name,
    help,
    labelNames: ['kind'],
    registers: [metrics.registry],
    collect() {
      this.reset()
      for (const kind of CACHE_KIND_NAMES) this.inc({ kind }, cache.counters[kind][field])
    },
  })
}

const LOOKUPS: readonly [tier: string, hits: keyof KindCounters, misses: keyof KindCounters][] = [
  ['request', 'requestHits', 'requestMisses'],
  ['memory', 'memoryHits', 'memoryMisses'],
  ['redis', 'redisHits', 'redisMisses'],
]

export function registerCacheMetrics(metrics: Metrics, cache: Cache): void {
  const registers = [metrics.registry]
  new Counter({
    name: 'brisk_cache_lookups_total',
    help: 'Cache lookups by tier (request, memory, redis), kind and result (hit or miss); a miss of every tier is a load.',
    labelNames: ['tier', 'kind', 'result'],
    registers,
    collect() {
      this.reset()
      for (const kind of CACHE_KIND_NAMES) {
        const counters = cache.counters[kind]
        for (const [tier, hits, misses] of LOOKUPS) {
          this.inc({ tier, kind, result: 'hit' }, counters[hits])
          this.inc({ tier, kind, result: 'miss' }, counters[misses])
        }
      }
    },
  })
  kindCounter(metrics, cache, 'brisk_cache_loads_total', 'Entries read from the database because no tier held them, by kind.', 'loads')
  kindCounter(metrics, cache, 'brisk_cache_load_errors_total', 'Loads that failed (the database down), by kind.', 'loadErrors')
  kindCounter(
    metrics,
    cache,
    'brisk_cache_stale_hits_total',
    'Entries served past their TTL, within their grace, while they reloaded, by kind.',
    'staleHits',
  )
  kindCounter(
    metrics,
    cache,
    'brisk_cache_refreshes_total',
    'Entries reloaded in the background before they expired, by kind.',
    'refreshes',
  )
  kindCounter(metrics, cache, 'brisk_cache_evictions_total', 'Entries evicted after a write committed, by kind.', 'evictions')
  kindCounter(
    metrics,
    cache,
    'brisk_cache_serialization_errors_total',
    'Values that could not be stored because they are not plain JSON (logged; served uncached), by kind.',
    'serializationErrors',
  )
  new Gauge({
    name: 'brisk_cache_memory_bytes',
    help: 'Estimated heap bytes held by the memory tier (bounded by BRISK_CACHE_MEMORY_MB).',
    registers,
    collect() {
      this.set(cache.memory.bytes)
    },
  })
  new Gauge({
    name: 'brisk_cache_memory_max_bytes',
    help: 'The memory tier bound, BRISK_CACHE_MEMORY_MB in bytes.',
    registers,
    collect() {
      this.set(cache.memory.maxBytes)
    },
  })
  new Gauge({
    name: 'brisk_cache_memory_entries',
    help: 'Entries in the memory tier.',
    registers,
    collect() {
      this.set(cache.memory.entries)
    },
  })
  new Counter({
    name: 'brisk_cache_memory_evictions_total',
    help: 'Entries the memory tier dropped to stay within its bound: often above zero, it is too small.',
    registers,
    collect() {
      this.reset()
      this.inc(cache.memory.evictions)
    },
  })
  new Gauge({
    name: 'brisk_cache_redis_up',
    // summed over workers it would count them: the cluster is up only when every worker reaches Redis
    aggregator: 'min',
    help: 'Whether Redis answers (1) or the cache runs without it (0); absent without BRISK_REDIS_URL.',
    registers,
    collect() {
      this.reset()
      if (cache.redis.configured) this.set(cache.redis.down ? 0 : 1)
    },
  })
  new Counter({
    name: 'brisk_cache_redis_errors_total',
    help: 'Redis operations that failed or timed out (BRISK_REDIS_TIMEOUT_MS).',
    registers,
    collect() {
      this.reset()
      this.inc(cache.redis.errors)
    },
  })
  new Counter({
    name: 'brisk_cache_redis_outages_total',
    help: 'Times Redis became unreachable (one warning is logged for each).',
    registers,
    collect() {
      this.reset()
      this.inc(cache.redis.outages)
    },
  })
  const busLatency = new Histogram({
    name: 'brisk_cache_bus_latency_seconds',
    help: 'From an eviction sent by another process to its arrival here, over the Redis bus.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  })
  cache.onBusLatency((seconds) => busLatency.observe(seconds))
}
