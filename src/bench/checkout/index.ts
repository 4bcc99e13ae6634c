/**
 * `brisk bench checkout`: guests checking out over HTTP on PostgreSQL. Each of --clients loops
 * creates a guest cart with its lines in one request (POST /api/store/carts), then places the order
 * (POST /api/store/checkout), against `brisk serve` in a process of its own; beside it the floor:
 * the same writes in one hand-written statement per order, from as many connections, with pg.
 * Stock is a billion units of each product: nothing sells out.
 */
import os from 'node:os'
import type { Config } from '../../config/config.ts'
import { type BenchServer, startServe } from '../catalog-read/servers.ts'
import { type BenchRedis, openBenchRedis, REDIS_OPTION } from '../redis.ts'
import { DATABASE_OPTION } from '../scratch.ts'
import { type BenchScenario, ROUND_OPTIONS } from '../scenario.ts'
import { type BenchSession, runBenchSession } from '../session.ts'
import { checkInvariants, measure } from './measure.ts'
import { type Options, parseOptions, requirePostgres } from './options.ts'
import { printJson, printTable, summarize } from './report.ts'
import { setUpShop } from './shop.ts'

export type { Results, Target } from './report.ts'

async function run(config: Config, raw: Record<string, string | boolean | undefined>): Promise<void> {
  const options = parseOptions(raw)
  const database = typeof raw['database'] === 'string' ? raw['database'] : undefined
  requirePostgres(config, database, 'checkout')
  const redisUrl = typeof raw['redis'] === 'string' ? raw['redis'] : config.redisUrl
  // the floor's connections and the bench's own statements between slices
  const session = { scenario: 'checkout', database, connections: options.clients + 2 }
  await runBenchSession(config, session, (s) => benchmark(options, redisUrl, s))
}

async function benchmark(options: Options, redisUrl: string | undefined, { db, url, progress, signal }: BenchSession) {
  progress.phase(`setting up ${options.products} products with plentiful stock at a location selling online`)
  const shop = await setUpShop(db, options)
  if (signal.aborted) return undefined
  const closers: (() => Promise<unknown>)[] = []
  try {
    const server = await startServer(url!, options, redisUrl, closers, progress)
    if (signal.aborted) return undefined
    const { tallies, placed } = await measure(
      { db, port: server.port, serverCpuMs: () => server.cpuMs(), locationId: shop.locationId, templates: shop.templates },
      options,
      { progress, signal },
    )
    if (signal.aborted) return undefined
    const results = summarize(tallies, placed, await checkInvariants(db, shop.locationId))
    const setting = {
      database: db.description,
      options,
      machine: { cores: os.availableParallelism(), loadAverage: Math.round(os.loadavg()[0]! * 10) / 10 },
    }
    return () => (options.json ? printJson(results, setting) : printTable(results, setting))
  } finally {
    progress.phase('stopping brisk serve')
    for (const close of closers.reverse()) await close()
  }
}

/** `brisk serve --workers N`, cache on; several workers share a Redis (the configured one under a prefix, else one of its own). */
async function startServer(
  url: string,
  options: Options,
  redisUrl: string | undefined,
  closers: (() => Promise<unknown>)[],
  progress: BenchSession['progress'],
): Promise<BenchServer> {
  let redis: BenchRedis | undefined
  if (options.workers > 1) {
    const opened = await openBenchRedis(redisUrl, progress)
    if ('missing' in opened) throw new Error(`--workers ${options.workers} needs Redis for the workers' cache: ${opened.missing}`)
    redis = opened
    closers.push(() => opened.close())
  }
  progress.phase(`starting brisk serve --workers ${options.workers}`)
  const server = await startServe({ databaseUrl: url, cache: true, redis, workers: options.workers })
  closers.push(() => server.close())
  return server
}

export const checkoutScenario: BenchScenario = {
  name: 'checkout',
  description:
    'Guest checkouts over HTTP on PostgreSQL: a cart created with its lines in one request, then the order placed, from --clients ' +
    'loops against `brisk serve` — p50/p95/p99 of cart + place and of place alone, orders/s, statements per order — beside a ' +
    'floor: the same writes in one hand-written statement per order, sent with pg at the same concurrency. Needs ' +
    'BRISK_DATABASE_URL (a scratch database is made beside it) or --database <postgres url>.',
  options: [
    { flags: '--lines <n>', description: 'lines per order (the issue measures 3 and 51)', defaultValue: '3' },
    { flags: '--clients <n>', description: 'concurrent shoppers (keep-alive connections), and floor connections', defaultValue: '8' },
    { flags: '--workers <n>', description: 'brisk serve --workers: processes serving HTTP (more than 1 needs Redis)', defaultValue: '1' },
    ...ROUND_OPTIONS,
    { flags: '--products <n>', description: 'catalog size the baskets are drawn from', defaultValue: '2000' },
    { flags: '--payment <provider>', description: '"test" (the card simulator: orders placed paid) or "manual" (placed unpaid)', defaultValue: 'test' },
    { flags: '--no-key', description: 'place without an Idempotency-Key (the same 2 statements: a key is claimed inside the order statement)' },
    REDIS_OPTION,
    DATABASE_OPTION,
  ],
  run,
}
