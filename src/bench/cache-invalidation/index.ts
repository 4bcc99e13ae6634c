/**
 * `brisk bench cache-invalidation`: how long after a price change one app answers another app
 * still serves the old price. App A takes the changes (PATCH, as a manager's screen sends them);
 * app B, which holds every product in its memory tier, is read back to back until it shows the new
 * price. With memory + Redis what tells B is A's eviction over the Redis bus; with the cache off B
 * reads the database, which shows what the measurement itself can resolve.
 */
import { buildApp } from '../../app.ts'
import type { Config } from '../../config/config.ts'
import type { Db } from '../../infra/db/database.ts'
import { cacheConfig } from '../catalog-read/servers.ts'
import { setUpWorkload } from '../catalog-read/setup.ts'
import { type BenchRedis, openBenchRedis, REDIS_OPTION } from '../redis.ts'
import type { BenchScenario } from '../scenario.ts'
import { DATABASE_OPTION } from '../scratch.ts'
import { type BenchSession, runBenchSession } from '../session.ts'
import { measureChanges } from './measure.ts'
import { type Options, parseOptions } from './options.ts'
import { printJson, printTable, type Results, summarize } from './report.ts'

export type { VariantResult } from './report.ts'

async function run(config: Config, raw: Record<string, string | boolean | undefined>): Promise<void> {
  const options = parseOptions(raw)
  const database = typeof raw['database'] === 'string' ? raw['database'] : undefined
  // two apps with a request in flight each, and the bench's own statements
  const session = { scenario: 'cache-invalidation', database, connections: 4 }
  await runBenchSession(config, session, (s) => benchmark(config, options, s))
}

async function benchmark(config: Config, options: Options, session: BenchSession) {
  const { db, progress, signal } = session
  progress.phase(`setting up ${options.products} products and tokens`)
  const workload = await setUpWorkload(db, options.products, 0)
  let redis: BenchRedis | undefined
  try {
    if (options.variants.includes('redis')) redis = await redisFor(config, options, session)
    const results: Results = {}
    for (const variant of options.variants) {
      if (signal.aborted) break
      progress.phase(`${variant}: starting apps A and B`)
      const variantConfig = cacheConfig(config, variant, redis)
      const a = await listening(variantConfig, db)
      try {
        const b = await listening(variantConfig, db)
        try {
          const busMs: number[] = []
          b.app.cache.onBusLatency((seconds) => busMs.push(seconds * 1000))
          progress.phase(`${variant}: changing prices through A, reading them from B`)
          const plan = { changes: options.changes, timeoutMs: options.timeoutMs, progress, signal }
          const writer = { port: a.port, token: workload.adminToken }
          const reader = { port: b.port, token: workload.cashierToken }
          results[variant] = summarize(await measureChanges(writer, reader, workload.products, plan), busMs)
        } finally {
          await b.app.close()
        }
      } finally {
        await a.app.close()
      }
    }
    if (signal.aborted) return undefined
    const setting = { database: db.description, redis: redis?.description, options }
    return () => (options.json ? printJson(results, setting) : printTable(results, setting))
  } finally {
    await redis?.close()
  }
}

/** The Redis both apps share (see redis.ts); a bench that cannot have one says why. */
async function redisFor(config: Config, options: Options, session: BenchSession): Promise<BenchRedis> {
  const redis = await openBenchRedis(options.redisUrl ?? config.redisUrl, session.progress)
  if ('missing' in redis) throw new Error(`memory + Redis needs a Redis: ${redis.missing} (or --variants off)`)
  return redis
}

async function listening(config: Config, db: Db) {
  const app = await buildApp(config, { db, migrate: false })
  try {
    const url = new URL(await app.http.listen({ host: '127.0.0.1', port: 0 }))
    return { app, port: Number(url.port) }
  } catch (error) {
    await app.close()
    throw error
  }
}

export const cacheInvalidationScenario: BenchScenario = {
  name: 'cache-invalidation',
  description:
    'Price changes through one app, read back from another until it shows them: how long a second process serves the old ' +
    'price, with memory + Redis (the bus) and with the cache off (in a scratch database, unless --database names one)',
  options: [
    { flags: '--changes <n>', description: 'price changes, one after another', defaultValue: '300' },
    { flags: '--products <n>', description: 'products the changes go round', defaultValue: '100' },
    { flags: '--timeout <seconds>', description: 'a change B has not shown after this long counts as unseen', defaultValue: '1' },
    { flags: '--variants <list>', description: 'comma-separated subset of off,redis', defaultValue: 'off,redis' },
    REDIS_OPTION,
    DATABASE_OPTION,
  ],
  run,
}
