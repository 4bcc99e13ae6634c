/**
 * `brisk bench catalog-read`: product reads by id, SKU and barcode over HTTP on loopback, a hot set
 * of products drawn Zipf-distributed like real traffic, with the cache off, the memory tier only and
 * memory + Redis; beside them the same bytes answered from a constant: by a bare Fastify in the
 * bench's process (the floor: Fastify and the network alone) and by a route on Brisk's app (its
 * hooks, no lookup), which tells what the hooks cost. The load comes from a process of its own
 * (http-load.client.ts), whose CPU the table shows; an in-process loop over the Cache measures a
 * memory-tier hit without HTTP.
 */
import os from 'node:os'
import type { Config } from '../../config/config.ts'
import { type LoadClient, startLoadClient } from '../http-load.ts'
import type { Progress } from '../progress.ts'
import { type BenchRedis, openBenchRedis, REDIS_OPTION } from '../redis.ts'
import { DATABASE_OPTION } from '../scratch.ts'
import { type BenchScenario, ROUND_OPTIONS } from '../scenario.ts'
import { type BenchSession, runBenchSession } from '../session.ts'
import { BENCH_FLOOR_PATH, type FloorBody, startBareFastify } from './floor.ts'
import { type Endpoint, measure } from './measure.ts'
import { type HitResult, measureCacheHits } from './micro.ts'
import { CACHE_VARIANTS, type CacheVariant, type Options, parseOptions } from './options.ts'
import { printJson, printTable, summarize } from './report.ts'
import { type BenchServer, cacheConfig, readThroughApp, startInProcess, startServe } from './servers.ts'
import { LOOKUPS, setUpWorkload, targetOf, type Workload } from './setup.ts'

export type { VariantResult } from './report.ts'

async function run(config: Config, raw: Record<string, string | boolean | undefined>): Promise<void> {
  const options = parseOptions(raw)
  const database = typeof raw['database'] === 'string' ? raw['database'] : undefined
  const session = { scenario: 'catalog-read', database, connections: options.clients + 2 }
  await runBenchSession(config, session, (s) => benchmark(config, options, s))
}

async function benchmark(config: Config, options: Options, session: BenchSession) {
  const { db, progress, signal } = session
  if (options.workers > 1 && session.url === undefined) {
    throw new Error('--workers runs `brisk serve` processes, which share PostgreSQL: set BRISK_DATABASE_URL or --database <url>')
  }
  const log = (line: string) => {
    if (!options.json) progress.note(line)
  }
  progress.phase(`setting up ${options.products} products and a token`)
  const workload = await setUpWorkload(db, options.products, options.zipf)
  const headers: Record<string, string> = options.anonymous ? {} : { authorization: `Bearer ${workload.cashierToken}` }
  const floor = { bytes: await readThroughApp(config, db, targetOf(workload.hottest, 'id'), headers) }
  const notes: string[] = []
  if (options.workers > 1) {
    notes.push('no memory-tier variant: `brisk serve --workers N` refuses a memory tier without Redis')
    notes.push("no floor: it is one process (this one), which N workers' throughput would not compare with")
  }
  let hits: HitResult | undefined
  if (options.hitsMs > 0 && !signal.aborted) {
    progress.phase('reading warm products from the cache in a loop (no HTTP)')
    hits = await measureCacheHits(db, workload, options.hitsMs)
  }
  const closers: Closers = []
  let client: LoadClient | undefined
  const stop = () => client?.stop()
  signal.addEventListener('abort', stop)
  try {
    const redis = options.variants.includes('redis') ? await redisFor(config, options, session.progress, closers, notes) : undefined
    progress.phase('starting the servers')
    const endpoints = await startEndpoints(config, options, session, { workload, floor, redis, closers, notes })
    client = await startLoadClient()
    const measured = await measure(client, endpoints, options, { progress, signal, log, token: workload.cashierToken })
    if (signal.aborted) return undefined
    const results = summarize(measured, log)
    const machine = { cores: os.availableParallelism(), loadAverage: Math.round(os.loadavg()[0]! * 10) / 10 }
    const setting = { database: db.description, redis: redis?.description, options, floorBytes: floor.bytes.length, hits, machine, notes }
    return () => (options.json ? printJson(results, setting) : printTable(results, setting))
  } catch (error) {
    // the servers and the client see Ctrl+C too: what fails after it is the interruption, not a finding
    if (signal.aborted) return undefined
    throw error
  } finally {
    signal.removeEventListener('abort', stop)
    await client?.close()
    for (const close of closers.reverse()) await close()
  }
}

/** The Redis of the memory + Redis variant (see redis.ts), or undefined with a note saying why there is none. */
async function redisFor(config: Config, options: Options, progress: Progress, closers: Closers, notes: string[]) {
  const redis = await openBenchRedis(options.redisUrl ?? config.redisUrl, progress)
  if ('missing' in redis) {
    notes.push(`no memory + Redis variant: ${redis.missing}`)
    return undefined
  }
  closers.push(() => redis.close())
  return redis
}

type Closers = (() => Promise<unknown>)[]

interface Parts {
  workload: Workload
  floor: FloorBody
  redis: BenchRedis | undefined
  closers: Closers
  notes: string[]
}

/** A server per cache setting (in this process, or `brisk serve --workers N`), the constant routes. */
async function startEndpoints(config: Config, options: Options, session: BenchSession, parts: Parts): Promise<Endpoint[]> {
  const { workload, floor, redis, closers } = parts
  const servers = new Map<CacheVariant, BenchServer>()
  const start = async (variant: CacheVariant) => {
    const server =
      options.workers > 1
        ? await startServe({
            databaseUrl: session.url!,
            cache: variant !== 'off',
            // with the cache off Redis goes unused, but `serve --workers N` asks for it all the same
            redis,
            workers: options.workers,
            floor: floor.bytes,
          })
        : await startInProcess(cacheConfig(config, variant, redis), session.db, floor)
    closers.push(() => server.close())
    servers.set(variant, server)
    return server
  }
  for (const variant of CACHE_VARIANTS) {
    if (options.variants.includes(variant) && (variant !== 'redis' || redis !== undefined)) await start(variant)
  }
  const products = { targets: workload.targets, kinds: [...LOOKUPS], sequence: workload.sequence }
  const constant = { targets: [{ path: BENCH_FLOOR_PATH, kind: 0 }], kinds: ['floor'], sequence: [0] }
  const endpoints: Endpoint[] = []
  if (options.variants.includes('floor')) {
    const bare = await startBareFastify(floor)
    closers.push(bare.close)
    endpoints.push({ variant: 'floor', port: bare.port, cpuMs: processCpuMs, ...constant })
  }
  if (options.variants.includes('hooks')) {
    const host = servers.get('memory') ?? servers.get('redis') ?? servers.get('off') ?? (await start('memory'))
    if (await servesFloor(host.port)) endpoints.push({ variant: 'hooks', port: host.port, cpuMs: host.cpuMs, ...constant })
    else parts.notes.push("no hooks-only row: this `brisk serve` has no constant route (BRISK_BENCH_FLOOR, see src/bench/catalog-read/floor.ts)")
  }
  for (const [variant, server] of servers) {
    if (options.variants.includes(variant)) endpoints.push({ variant, port: server.port, cpuMs: server.cpuMs, ...products })
  }
  if (endpoints.length === 0) throw new Error(`nothing to measure: ${parts.notes.join('; ')}`)
  return endpoints
}

function processCpuMs(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

async function servesFloor(port: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}${BENCH_FLOOR_PATH}`)
  await response.arrayBuffer()
  return response.ok
}

export const catalogReadScenario: BenchScenario = {
  name: 'catalog-read',
  description:
    'Product reads by id, SKU and barcode over HTTP (Zipf over a hot set): cache off, memory tier, memory + Redis, ' +
    'against a floor: Fastify alone answering the same bytes from a constant (in a scratch database, unless --database names one)',
  options: [
    { flags: '--clients <n>', description: 'concurrent keep-alive connections', defaultValue: '8' },
    ...ROUND_OPTIONS,
    { flags: '--products <n>', description: 'the hot set: products read', defaultValue: '1000' },
    { flags: '--zipf <exponent>', description: 'skew of the reads: product of rank r is read ∝ 1/r^exponent (0: uniform)', defaultValue: '1' },
    {
      flags: '--workers <n>',
      description: 'serve from `brisk serve --workers N` processes (PostgreSQL only) instead of apps in the bench process; "auto" = cores',
      defaultValue: '1',
    },
    REDIS_OPTION,
    {
      flags: '--hits <seconds>',
      description: "in-process memory-tier hits: the Cache's findCachedDoc on warm products in a loop, no HTTP (0: skip)",
      defaultValue: '1',
    },
    { flags: '--variants <list>', description: 'comma-separated subset of floor,hooks,off,memory,redis' },
    { flags: '--anonymous', description: "send no token (a storefront's reads); by default each request carries a cashier's" },
    DATABASE_OPTION,
  ],
  run,
}
