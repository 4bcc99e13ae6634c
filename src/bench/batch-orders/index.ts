/**
 * `brisk bench batch-orders`: many online orders marked paid (or imported from a marketplace) at
 * once, for each --size, two ways, in a scratch database:
 * - naive: seed 003's "before" — one long transaction, an order at a time: read, check, update,
 *   insert its history row (for an import: every product, stock row and rollup row too);
 * - brisk: the batch service (orders.batch.ts) — a statement per chunk of 1,000 orders, plus the
 *   batch log's two.
 * The orders are set up by the import service first (not measured). Seed 003: 10 orders in ≤ 3 statements.
 */
import type { Config } from '../../config/config.ts'
import { memoryOnlyCache } from '../../infra/cache/cache.ts'
import { createOrdersService } from '../../modules/orders/index.ts'
import { checkShop } from './checks.ts'
import { DATABASE_OPTION } from '../scratch.ts'
import type { BenchScenario } from '../scenario.ts'
import { type BenchSession, runBenchSession } from '../session.ts'
import { type Bench, type Measured, SIZE_RUNS } from './measure.ts'
import { DEFAULT_SIZES, type Options, parseOptions } from './options.ts'
import { printJson, printTable, summarize } from './report.ts'
import { SETUP_CHUNK, setUpShop } from './setup.ts'

export type { Checks } from './checks.ts'
export type { Measured } from './measure.ts'
export type { Summary } from './report.ts'

async function run(config: Config, raw: Record<string, string | boolean | undefined>): Promise<void> {
  const options = parseOptions(raw)
  const database = typeof raw['database'] === 'string' ? raw['database'] : undefined
  await runBenchSession(config, { scenario: 'batch-orders', database, connections: 2 }, (s) => benchmark(options, s))
}

async function benchmark(options: Options, { db, progress, signal }: BenchSession) {
  progress.phase('setting up a location that sells online, products and stock')
  const shop = await setUpShop(db)
  const cache = memoryOnlyCache()
  try {
    const bench: Bench = {
      db,
      shop,
      orders: createOrdersService(db, { cache, cartTtlHours: 24 }),
      setupOrders: createOrdersService(db, { cache, cartTtlHours: 24, batchChunkSize: SETUP_CHUNK }),
      progress,
      signal,
    }
    const results: Measured[] = []
    for (const size of options.sizes) {
      const measured = await SIZE_RUNS[options.operation](bench, size)
      if (!measured) return undefined
      results.push(...measured)
    }
    progress.phase('checking stock, ledger, rollups and history')
    const summary = summarize(results, options, await checkShop(db, shop.locationId))
    return () => (options.json ? printJson(summary, options, db) : printTable(summary, options, db))
  } finally {
    await cache.close()
  }
}

export const batchOrdersScenario: BenchScenario = {
  name: 'batch-orders',
  description:
    "Mark many online orders paid (or import them) in one batch: Brisk's batch service vs seed 003's order-at-a-time loop — " +
    'statements and time per size (in a scratch database, unless --database names one)',
  options: [
    { flags: '--size <list>', description: 'comma-separated numbers of orders per batch', defaultValue: DEFAULT_SIZES },
    { flags: '--operation <operation>', description: '"mark-paid" (placed orders become paid) or "import" (marketplace orders placed)', defaultValue: 'mark-paid' },
    DATABASE_OPTION,
  ],
  run,
}
