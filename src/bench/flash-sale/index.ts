/**
 * `brisk bench flash-sale`: --buyers shoppers, each on a connection of their own, released at once
 * for --units of one product at one location that has tills and sells online: half buy one unit at
 * the till (POST /api/sales/invoices with submit, a cashier's token), half online (a guest cart, then
 * checkout), against `brisk serve` on PostgreSQL. Exactly --units are sold, every other buyer gets a
 * clean 409 sold-out (SALES_INSUFFICIENT_STOCK at the till, ORDERS_SOLD_OUT online), nothing else
 * fails, the stock ends at 0 and the ledger agrees; p50/p99 by channel.
 */
import os from 'node:os'
import type { Config } from '../../config/config.ts'
import { type BenchServer, startServe } from '../catalog-read/servers.ts'
import { requirePostgres } from '../checkout/options.ts'
import { DATABASE_OPTION } from '../scratch.ts'
import { type BenchScenario, integerOption } from '../scenario.ts'
import { type BenchSession, runBenchSession } from '../session.ts'
import { connectBuyers, readyCarts, release } from './burst.ts'
import { printJson, printTable, summarize } from './report.ts'
import { countSale, type Sale, setUpSale } from './setup.ts'

export type { Results } from './report.ts'

interface Options {
  buyers: number
  units: number
  /** online buyers' carts: made in the burst (cart + checkout) or before the release (checkout only) */
  carts: 'during' | 'ready'
  json: boolean
}

async function run(config: Config, raw: Record<string, string | boolean | undefined>): Promise<void> {
  const options: Options = {
    buyers: integerOption(raw['buyers'] ?? '1000', 'buyers', 2, 10_000),
    units: integerOption(raw['units'] ?? '100', 'units', 1, 1_000_000),
    carts: cartsOption(raw['carts']),
    json: raw['json'] === true,
  }
  const database = typeof raw['database'] === 'string' ? raw['database'] : undefined
  requirePostgres(config, database, 'flash-sale')
  await runBenchSession(config, { scenario: 'flash-sale', database, connections: 2 }, (s) => benchmark(options, s))
}

function cartsOption(value: string | boolean | undefined): Options['carts'] {
  const carts = String(value ?? 'during')
  if (carts !== 'during' && carts !== 'ready') throw new Error('--carts must be during or ready')
  return carts
}

async function benchmark(options: Options, { db, url, progress, signal }: BenchSession) {
  progress.phase(`setting up one product with ${options.units} units at a location with tills that sells online`)
  const sale = await setUpSale(db, options.units)
  progress.phase('starting brisk serve')
  const server = await startServe({ databaseUrl: url!, cache: true, redis: undefined, workers: 1 })
  try {
    await warm(server, sale)
    progress.phase(`opening ${options.buyers} connections`)
    const connections = await connectBuyers(server.port, options.buyers, signal)
    if (signal.aborted) {
      for (const c of connections) c.close()
      return undefined
    }
    let ready: Awaited<ReturnType<typeof readyCarts>> | undefined
    if (options.carts === 'ready') {
      progress.phase('making the online buyers\' carts')
      try {
        ready = await readyCarts(connections, sale)
      } catch (error) {
        for (const c of connections) c.close()
        throw error
      }
    }
    progress.phase(`${options.buyers} buyers released`)
    const outcomes = await release(connections, sale, ready)
    const results = summarize(outcomes, options.units, await countSale(db, sale))
    const setting = {
      database: db.description,
      buyers: options.buyers,
      units: options.units,
      carts: options.carts,
      machine: { cores: os.availableParallelism(), loadAverage: Math.round(os.loadavg()[0]! * 10) / 10 },
    }
    return () => (options.json ? printJson(results, setting) : printTable(results, setting))
  } finally {
    progress.phase('stopping brisk serve')
    await server.close()
  }
}

/** A shop's server is warm when a sale starts: the product and the till's token are in its cache (no stock moves). */
async function warm(server: BenchServer, sale: Sale): Promise<void> {
  const base = `http://127.0.0.1:${server.port}`
  const cart = await fetch(`${base}/api/store/carts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ add: [{ productId: sale.productId, quantity: 1 }] }),
  })
  const invoices = await fetch(`${base}/api/sales/invoices?limit=1`, { headers: { authorization: `Bearer ${sale.tillToken}` } })
  for (const [what, response] of [['a cart', cart], ['the till token', invoices]] as const) {
    if (!response.ok) throw new Error(`warming ${what}: ${response.status} ${(await response.text()).slice(0, 300)}`)
    await response.arrayBuffer().catch(() => undefined)
  }
}

export const flashSaleScenario: BenchScenario = {
  name: 'flash-sale',
  description:
    'A flash sale on PostgreSQL: --buyers shoppers on connections of their own, released at once for --units of one product at ' +
    'a location with tills that sells online — half at the till, half online (cart + checkout) — against `brisk serve`. ' +
    'Checks: exactly --units sold, every other buyer a clean 409 sold out, no other error, stock 0, ledger = stock; p50/p99 ' +
    'by channel. Needs BRISK_DATABASE_URL (a scratch database is made beside it) or --database <postgres url>.',
  options: [
    { flags: '--buyers <n>', description: 'concurrent buyers (one connection each), half at the tills, half online', defaultValue: '1000' },
    { flags: '--units <n>', description: 'units of the product in stock', defaultValue: '100' },
    {
      flags: '--carts <when>',
      description: '"during": online buyers make their cart in the burst, then check out; "ready": their carts exist before the release',
      defaultValue: 'during',
    },
    DATABASE_OPTION,
  ],
  run,
}
