/**
 * `brisk bench storefront`: product and category pages over HTTP on loopback, as a shopper signed
 * in with a cart sees them (every hole filled), from an app with the page cache off (every page
 * rendered), one with the two-pass shell cache on, and a floor: a bare Fastify answering the same
 * bytes from a constant (and the same bytes from a route on Brisk's app: what its hooks cost). Before measuring, every page is checked: the cached answer is the bytes of
 * a full render for the same visitor, from the cache, with no statement.
 */
import os from 'node:os'
import type { Config } from '../../config/config.ts'
import { type LoadClient, startLoadClient } from '../http-load.ts'
import { DATABASE_OPTION } from '../scratch.ts'
import { type BenchScenario, ROUND_OPTIONS } from '../scenario.ts'
import { type BenchSession, runBenchSession } from '../session.ts'
import { type Endpoint, measure } from './measure.ts'
import { type Options, parseOptions } from './options.ts'
import { printJson, printTable, summarize } from './report.ts'
import { type BenchServer, CONSTANT_PREFIX, capturePages, startApp, startFloor } from './servers.ts'
import { setUpWorkload } from './setup.ts'

export type { Results, VariantResult } from './report.ts'
export type { PageChecks } from './servers.ts'

async function run(config: Config, raw: Record<string, string | boolean | undefined>): Promise<void> {
  const options = parseOptions(raw)
  const database = typeof raw['database'] === 'string' ? raw['database'] : undefined
  await runBenchSession(config, { scenario: 'storefront', database, connections: options.clients + 2 }, (s) => benchmark(config, options, s))
}

async function benchmark(config: Config, options: Options, session: BenchSession) {
  const { db, progress, signal } = session
  const log = (line: string) => {
    if (!options.json) progress.note(line)
  }
  const closers: (() => Promise<unknown>)[] = []
  let client: LoadClient | undefined
  const stop = () => client?.stop()
  signal.addEventListener('abort', stop)
  try {
    progress.phase('starting the apps (page cache off and on)')
    const off = await startApp(config, db, false)
    closers.push(() => off.close())
    const constants = new Map<string, Buffer>()
    const cached = await startApp(config, db, true, constants)
    closers.push(() => cached.close())
    progress.phase('seeding the demo shop and signing a shopper in with a cart')
    const workload = await setUpWorkload(off, options.products)
    progress.phase('checking every page: cached bytes = a full render, 0 statements warm')
    const visitor = { cookie: workload.cookie, ...workload.visitor }
    const { floor: floorPages, checks } = await capturePages(workload.targets, { off, cached }, visitor)
    for (const [path, bytes] of floorPages) constants.set(path, bytes)
    const floor: BenchServer = await startFloor(floorPages)
    closers.push(() => floor.close())
    const common = { targets: workload.targets, sequence: workload.sequence }
    const endpoints: Endpoint[] = [
      { variant: 'floor', port: floor.port, ...common },
      { variant: 'hooks', port: cached.port, targets: workload.targets.map((t) => ({ ...t, path: CONSTANT_PREFIX + t.path })), sequence: workload.sequence },
      { variant: 'cached', port: cached.port, ...common },
      { variant: 'off', port: off.port, ...common },
    ]
    client = await startLoadClient()
    log(`${endpoints.length} variants, ${options.rounds} round(s) of ${options.durationMs / options.rounds / 1000} s each, ${options.clients} connection(s)…`)
    const measured = await measure(client, endpoints, options, { progress, signal, cookie: workload.cookie })
    if (signal.aborted) return undefined
    const results = summarize(measured, log)
    const bytes = [...floorPages.values()].reduce((sum, b) => sum + b.length, 0)
    const setting = {
      database: db.description,
      options,
      checks,
      pages: {
        product: workload.targets.filter((t) => t.kind === 0).length,
        category: workload.targets.filter((t) => t.kind === 1).length,
        averageBytes: Math.round(bytes / floorPages.size),
      },
      machine: { cores: os.availableParallelism(), loadAverage: Math.round(os.loadavg()[0]! * 10) / 10 },
    }
    return () => (options.json ? printJson(results, setting) : printTable(results, setting))
  } catch (error) {
    if (signal.aborted) return undefined
    throw error
  } finally {
    signal.removeEventListener('abort', stop)
    await client?.close()
    for (const close of closers.reverse()) await close()
  }
}

export const storefrontScenario: BenchScenario = {
  name: 'storefront',
  description:
    'Storefront product and category pages over HTTP for a signed-in shopper with a cart: page cache off, the two-pass shell ' +
    'cache on, and a floor (Fastify alone answering the same bytes from a constant), in a scratch database with the demo shop',
  options: [
    { flags: '--clients <n>', description: 'concurrent keep-alive connections', defaultValue: '8' },
    ...ROUND_OPTIONS,
    { flags: '--products <n>', description: 'product pages requested (of the demo shop’s 240), beside every category page', defaultValue: '40' },
    DATABASE_OPTION,
  ],
  run,
}
