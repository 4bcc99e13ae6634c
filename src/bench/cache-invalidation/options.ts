/**
 * - off: both apps read the database on every request (the cache off): how soon B can show a
 *   change at all — the resolution of the measurement
 * - redis: both with the memory tier and Redis: B forgets its copy when A's eviction reaches it over the bus
 */
import { integerOption } from '../scenario.ts'
export type Variant = 'off' | 'redis'
export const VARIANTS: readonly Variant[] = ['off', 'redis']

export interface Options {
  changes: number
  products: number
  timeoutMs: number
  variants: Variant[]
  /** --redis: else BRISK_REDIS_URL, else a redis-server of the bench's own */
  redisUrl: string | undefined
  json: boolean
}

export function parseOptions(raw: Record<string, string | boolean | undefined>): Options {
  const redisUrl = typeof raw['redis'] === 'string' ? raw['redis'] : undefined
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw new Error('--redis must be a redis:// URL')
  const variants = String(raw['variants'] ?? VARIANTS.join(','))
    .split(',')
    .map((v) => v.trim())
  const unknown = variants.filter((v) => !VARIANTS.includes(v as Variant))
  if (unknown.length > 0) throw new Error(`--variants: unknown ${unknown.join(', ')} (use ${VARIANTS.join(', ')})`)
  const timeout = Number(raw['timeout'] ?? '1')
  if (!Number.isFinite(timeout) || timeout < 0.01 || timeout > 600) throw new Error('--timeout must be a number of seconds from 0.01 to 600')
  return {
    changes: integerOption(raw['changes'] ?? '300', 'changes', 1, 1_000_000),
    products: integerOption(raw['products'] ?? '100', 'products', 1, 100_000),
    timeoutMs: timeout * 1000,
    variants: VARIANTS.filter((v) => variants.includes(v)),
    redisUrl,
    json: raw['json'] === true,
  }
}
