/** `brisk cache stats | clear [kind] | warm`: the cache tiers as an operator sees them. */
import { Argument, type Command } from 'commander'
import type { Services } from '../app.ts'
import type { Config } from '../config/config.ts'
import { CACHE_KIND_NAMES, CACHE_KINDS, type CacheKind } from '../infra/cache/cache-keys.ts'
import type { Db } from '../infra/db/database.ts'
import { withServices } from './context.ts'

/** Products read through the cache to measure what one costs in each tier. */
const SIZING_SAMPLE = 1000
const MiB = 1024 * 1024

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`
}

/** Entries per kind under the cache's prefix in Redis (SCAN: never blocks Redis as KEYS would). */
async function redisKeysByKind(services: Services): Promise<Record<string, number> | undefined> {
  const redis = services.cache.redisConnection
  if (!redis || services.cache.redis.down) return undefined
  const counts: Record<string, number> = {}
  for (const kind of CACHE_KIND_NAMES) {
    let cursor = '0'
    let count = 0
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${services.cache.prefix}:${kind}:*`, 'COUNT', 1000)
      count += keys.length
      cursor = next
    } while (cursor !== '0')
    counts[kind] = count
  }
  return counts
}

async function redisMemory(services: Services) {
  const redis = services.cache.redisConnection
  if (!redis || services.cache.redis.down) return undefined
  const info = await redis.info('memory')
  const field = (name: string) => Number(/^(\w+):(.*)$/m.exec(info.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[2] ?? 0)
  const policy = info.split('\n').find((l) => l.startsWith('maxmemory_policy:'))?.split(':')[1]?.trim() ?? 'unknown'
  return { usedBytes: field('used_memory'), maxBytes: field('maxmemory'), policy }
}

/**
 * Reads a sample of products through this process's empty memory tier and measures what they
 * take: heap bytes per product there, and Redis bytes per product (MEMORY USAGE of their keys).
 */
async function sizing(services: Services, db: Db) {
  const rows = await db.primary.selectFrom('product').select('id').orderBy('id').limit(SIZING_SAMPLE).execute()
  if (rows.length === 0) return undefined
  const { cache } = services
  cache.clearMemory()
  const products = await cache.findCachedDocs('product', rows.map((r) => r.id))
  const memoryPerProduct = cache.memory.bytes / Math.max(1, cache.memory.entries)
  const json = [...products.values()].reduce((sum, doc) => sum + Buffer.byteLength(JSON.stringify(doc)), 0) / products.size
  let redisPerProduct: number | undefined
  const redis = cache.redisConnection
  if (redis && !cache.redis.down) {
    const sample = rows.slice(0, 100)
    const sizes = await Promise.all(sample.map((r) => redis.memory('USAGE', `${cache.prefix}:product:${r.id}`)))
    const known = sizes.filter((s): s is number => typeof s === 'number')
    if (known.length > 0) redisPerProduct = known.reduce((a, b) => a + b, 0) / known.length
  }
  return { sampled: products.size, jsonBytesPerProduct: Math.round(json), memoryBytesPerProduct: Math.round(memoryPerProduct), redisBytesPerProduct: redisPerProduct && Math.round(redisPerProduct) }
}

async function stats(services: Services, db: Db, config: Config, json: boolean): Promise<void> {
  const report = {
    enabled: config.cache,
    memoryTierMaxBytes: config.cacheMemoryMb * MiB,
    redis: config.redisUrl ? { configured: true, reachable: !services.cache.redis.down } : { configured: false },
    redisKeys: await redisKeysByKind(services),
    redisMemory: await redisMemory(services),
    sizing: await sizing(services, db),
    kinds: Object.fromEntries(CACHE_KIND_NAMES.map((k) => [k, { ttlMs: CACHE_KINDS[k].ttlMs, staleMs: CACHE_KINDS[k].staleMs }])),
  }
  if (json) {
    console.log(JSON.stringify(report, null, 2))
    return
  }
  console.log(`cache ${report.enabled ? 'on' : 'off'}; memory tier at most ${mib(report.memoryTierMaxBytes)} per process`)
  if (!config.redisUrl) console.log('Redis: not configured (BRISK_REDIS_URL unset): every process caches on its own')
  else if (services.cache.redis.down) console.log('Redis: configured but not answering')
  if (report.redisMemory) {
    const { usedBytes, maxBytes, policy } = report.redisMemory
    console.log(`Redis: ${mib(usedBytes)} used, maxmemory ${maxBytes === 0 ? 'unlimited' : mib(maxBytes)}, policy ${policy}`)
  }
  if (report.redisKeys) {
    console.log('Redis entries by kind:')
    for (const [kind, count] of Object.entries(report.redisKeys)) console.log(`  ${kind.padEnd(12)} ${count}`)
  }
  const size = report.sizing
  if (size) {
    console.log(`sizing, from ${size.sampled} products of this shop:`)
    console.log(`  JSON        ${size.jsonBytesPerProduct} bytes per product`)
    console.log(`  memory tier ${size.memoryBytesPerProduct} bytes per product, ${mib(size.memoryBytesPerProduct * 10_000)} per 10k products`)
    if (size.redisBytesPerProduct !== undefined) {
      console.log(`  Redis       ${size.redisBytesPerProduct} bytes per product, ${mib(size.redisBytesPerProduct * 10_000)} per 10k products`)
    }
  }
}

export function register(program: Command, summary: string): void {
  const cache = program
    .command('cache')
    .summary(summary)
    .description(
      `${summary} With BRISK_REDIS_URL set these act on the shared Redis tier and, through its bus, on every running ` +
        "server's memory tier; without it, on this process only (a server's own memory tier is shown on its /metrics).",
    )

  cache
    .command('stats')
    .description(
      'Show the cache configuration, Redis memory and entries by kind, and what a product costs in each tier ' +
        `(measured on up to ${SIZING_SAMPLE} products of this shop): the figures for sizing BRISK_CACHE_MEMORY_MB and Redis maxmemory.`,
    )
    .option('--json', 'print JSON instead of text')
    .action(async (options: { json?: boolean }) => {
      await withServices((services, db, config) => stats(services, db, config, options.json ?? false))
    })

  cache
    .command('clear')
    .description('Drop every cached entry, or those of one kind, from Redis and from every server sharing it.')
    .addArgument(new Argument('[kind]', 'only this kind').choices(CACHE_KIND_NAMES))
    .action(async (kind?: CacheKind) => {
      await withServices(async ({ cache: tiers }) => {
        await tiers.clear(kind)
        console.log(kind ? `cleared the ${kind} entries` : 'cleared every entry')
      })
    })

  cache
    .command('warm')
    .description('Load every active product (with its units, price and tax rate), category and location into the tiers: before a sale day.')
    .action(async () => {
      await withServices(async ({ catalog, inventory, cache: tiers }, _db, config) => {
        if (!config.redisUrl) {
          console.error('warning: BRISK_REDIS_URL is not set: only this process is warmed; each server fills its own memory tier as it reads')
        }
        const warmed = await catalog.warmCache()
        const locations = await inventory.listLocations()
        await tiers.flush()
        console.log(`warmed ${warmed.products} products, ${warmed.categories} categories, ${locations.length} locations`)
      })
    })
}
