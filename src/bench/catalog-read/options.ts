import os from 'node:os'
import { integerOption, numberOption } from '../scenario.ts'

/**
 * - floor: a bare Fastify in the bench's process answering a product read's bytes from a constant:
 *   the cost of Fastify and the network alone, the floor
 * - hooks: the same bytes from a route on Brisk's app: its hooks (request id, statement count,
 *   metrics, auth), no lookup, no serialization
 * - off, memory, redis: product reads with the cache off, the memory tier only, memory + Redis
 */
export type Variant = 'floor' | 'hooks' | 'off' | 'memory' | 'redis'
export const VARIANTS: readonly Variant[] = ['floor', 'hooks', 'off', 'memory', 'redis']
export type CacheVariant = Extract<Variant, 'off' | 'memory' | 'redis'>
export const CACHE_VARIANTS: readonly CacheVariant[] = ['off', 'memory', 'redis']

export interface Options {
  clients: number
  durationMs: number
  warmupMs: number
  rounds: number
  products: number
  zipf: number
  workers: number
  variants: Variant[]
  /** --redis: a Redis for memory + Redis (else BRISK_REDIS_URL, else a redis-server of the bench's own) */
  redisUrl: string | undefined
  /** the in-process hit micro-benchmark's duration; 0 skips it */
  hitsMs: number
  /** send no token (a storefront); by default every request carries a cashier's, as a till's does */
  anonymous: boolean
  json: boolean
}

function parseVariants(raw: string | boolean | undefined): Variant[] {
  if (raw === undefined) return [...VARIANTS]
  const variants = String(raw)
    .split(',')
    .map((v) => v.trim())
  const unknown = variants.filter((v) => !VARIANTS.includes(v as Variant))
  if (unknown.length > 0) throw new Error(`--variants: unknown ${unknown.join(', ')} (use ${VARIANTS.join(', ')})`)
  return VARIANTS.filter((v) => variants.includes(v))
}

export function parseOptions(raw: Record<string, string | boolean | undefined>): Options {
  const redisUrl = typeof raw['redis'] === 'string' ? raw['redis'] : undefined
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw new Error('--redis must be a redis:// URL')
  const workers = raw['workers'] === 'auto' ? os.availableParallelism() : integerOption(raw['workers'] ?? '1', 'workers', 1, 64)
  const variants = parseVariants(raw['variants'])
  return {
    clients: integerOption(raw['clients'] ?? '8', 'clients', 1, 1024),
    durationMs: numberOption(raw['duration'] ?? '10', 'duration', 0.1, 3600) * 1000,
    warmupMs: numberOption(raw['warmup'] ?? '1', 'warmup', 0, 600) * 1000,
    rounds: integerOption(raw['rounds'] ?? '5', 'rounds', 1, 1000),
    products: integerOption(raw['products'] ?? '1000', 'products', 1, 1_000_000),
    zipf: numberOption(raw['zipf'] ?? '1', 'zipf', 0, 5),
    workers,
    // the floor lives in the bench's own process, and `serve --workers N` refuses a memory tier without Redis
    variants: workers > 1 ? variants.filter((v) => v !== 'floor' && v !== 'memory') : variants,
    redisUrl,
    hitsMs: numberOption(raw['hits'] ?? '1', 'hits', 0, 600) * 1000,
    anonymous: raw['anonymous'] === true,
    json: raw['json'] === true,
  }
}
