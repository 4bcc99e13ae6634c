/**
 * `brisk bench bulk`: --size rows of views, scores, products or stock counts brought in three ways,
 * one after another on the same tables (emptied between them), in a scratch database:
 * - naive: seed 003's "before" — row by row, a query per lookup, a write per row, one transaction;
 * - brisk: the import engine (`brisk import`) on the same JSON Lines file;
 * - floor: COPY of the rows already resolved to ids (PostgreSQL only) — the physical limit.
 * While each runs, --tills POS tills sell; their p99 is shown against theirs with nothing running.
 * Orders have their own bench: `brisk bench batch-orders`.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Config } from '../../config/config.ts'
import { DATABASE_OPTION } from '../scratch.ts'
import type { BenchScenario } from '../scenario.ts'
import { type BenchSession, runBenchSession } from '../session.ts'
import { writeInput } from './generate.ts'
import { type Bench, measureVariant, seedCheck, unavailable, type VariantResult } from './measure.ts'
import { MAX_SIZE, type Options, parseOptions } from './options.ts'
import { printJson, printTable, summarize } from './report.ts'
import { setUpWorld } from './setup.ts'
import { openTills, type TillFigures, type Tills } from './tills.ts'

export type { Summary } from './report.ts'

async function run(config: Config, raw: Record<string, string | boolean | undefined>): Promise<void> {
  const options = parseOptions(raw)
  const database = typeof raw['database'] === 'string' ? raw['database'] : undefined
  // the tills' connections, the import's, and the floor's own client besides
  const session = { scenario: 'bulk', database, connections: options.tills + 3 }
  await runBenchSession(config, session, (s) => benchmark(options, s))
}

async function benchmark(options: Options, { db, url, progress, signal }: BenchSession) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'brisk-bench-bulk-'))
  let tills: Tills | undefined
  try {
    progress.phase(`setting up what ${options.size} ${options.operation} refer to`)
    const world = await setUpWorld(db, options.operation, options.size)
    const file = path.join(folder, `${options.operation}.ndjson`)
    progress.phase(`writing ${options.size} ${options.operation} to ${file}`)
    await writeInput(file, world, options.operation, options.size)
    if (options.tills > 0) {
      progress.phase(`setting up ${options.tills} tills`)
      tills = await openTills(db, options.tills)
    }
    const bench: Bench = { db, url, world, options, file, tills, progress, signal }
    const idle = await idleTills(bench)
    const { results, notRun } = await variants(bench)
    if (signal.aborted) return undefined
    progress.phase("seed 003's size through brisk")
    const summary = summarize(options, results, idle, notRun, (await seedCheck(bench)) ?? null)
    return () => (options.json ? printJson(summary, db) : printTable(summary, db))
  } finally {
    await tills?.close()
    fs.rmSync(folder, { recursive: true, force: true })
  }
}

async function idleTills(bench: Bench): Promise<TillFigures | null> {
  if (!bench.tills) return null
  bench.progress.phase(`tills selling alone for ${bench.options.idleMs / 1000} s`)
  const stop = bench.tills.start()
  await sleep(bench.options.idleMs, undefined, { signal: bench.signal }).catch(() => {})
  return stop()
}

async function variants(bench: Bench): Promise<{ results: VariantResult[]; notRun: string[] }> {
  const results: VariantResult[] = []
  const notRun: string[] = []
  for (const variant of bench.options.variants) {
    if (bench.signal.aborted) break
    const why = unavailable(bench, variant)
    if (why !== undefined) {
      notRun.push(why)
      continue
    }
    bench.progress.phase(`${variant}: ${bench.options.size} ${bench.options.operation}`)
    results.push(await measureVariant(bench, variant))
  }
  return { results, notRun }
}

export const bulkScenario: BenchScenario = {
  name: 'bulk',
  description:
    "Bring in views, scores, products or stock counts: seed 003's row-by-row loop vs Brisk's import engine vs COPY of " +
    'resolved rows (the floor), with POS tills selling meanwhile (in a scratch database, unless --database names one). ' +
    'Orders: `brisk bench batch-orders --operation import`.',
  options: [
    { flags: '--operation <operation>', description: 'views, scores, products or stock (orders: brisk bench batch-orders)', defaultValue: 'views' },
    { flags: '--size <n>', description: `rows in the input, 1 to ${MAX_SIZE}`, defaultValue: '10000' },
    { flags: '--chunk <n>', description: "brisk's chunk size (rows per transaction; default the kind's: 10000 for views, 1000 for the rest)" },
    { flags: '--variants <list>', description: 'comma-separated subset of naive, brisk, floor (naive sends 3 to 9 statements a row: leave it out for millions)',
      defaultValue: 'naive,brisk,floor' },
    { flags: '--tills <n>', description: 'concurrent POS tills selling during each variant (0: none)', defaultValue: '4' },
    { flags: '--idle <seconds>', description: 'how long the tills sell alone first, for their idle p99', defaultValue: '3' },
    DATABASE_OPTION,
  ],
  run,
}
