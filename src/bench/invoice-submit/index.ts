/**
 * `brisk bench invoice-submit`: one POS sale of N lines (invoice, lines, payment, stock decrements,
 * ledger rows, rollups) four ways, in a scratch database:
 * - brisk: the sales service (or, with --http, the HTTP API) with a warm cache: products, prices,
 *   tax rates and the location come from the memory tier, so SQL/submit counts the sale's own statements;
 * - uncached: the same with the cache off (BRISK_CACHE=off), master data read on every sale;
 * - naive: the same work a statement per line, read-modify-write, the way seed 000 started;
 * - floor: one hand-written statement doing the same writes — the physical limit here.
 */
import type { Config } from '../../config/config.ts'
import { Cache, memoryOnlyCache } from '../../infra/cache/cache.ts'
import type { Progress } from '../progress.ts'
import { DATABASE_OPTION } from '../scratch.ts'
import { type BenchScenario, ROUND_OPTIONS } from '../scenario.ts'
import { type BenchSession, runBenchSession } from '../session.ts'
import { httpOp, serviceOp } from './brisk.ts'
import { counted, measure, type Op } from './driver.ts'
import { floorSubmit } from './floor.ts'
import { naiveSubmit } from './naive.ts'
import { type Options, parseOptions, type Variant } from './options.ts'
import { printJson, printTable, summarize } from './report.ts'
import { setUp, type Template } from './setup.ts'

export type { VariantResult } from './report.ts'

async function run(config: Config, raw: Record<string, string | boolean | undefined>): Promise<void> {
  const options = parseOptions(raw)
  const database = typeof raw['database'] === 'string' ? raw['database'] : undefined
  // the pool serves every client and the bench's own statements between slices
  const session = { scenario: 'invoice-submit', database, connections: options.clients + 2 }
  await runBenchSession(config, session, (s) => benchmark(config, options, s))
}

async function benchmark(config: Config, options: Options, { db, progress, signal }: BenchSession) {
  const log = (line: string) => {
    if (!options.json) progress.note(line)
  }
  progress.phase(`setting up ${options.products} products with stock at a new location`)
  const { locationId, templates } = await setUp(db, options)
  if (signal.aborted) return undefined
  const closers: (() => Promise<unknown>)[] = []
  try {
    const brisk = async (cache: boolean): Promise<Op> => {
      if (!options.http) {
        const tiers = cache ? memoryOnlyCache() : new Cache({ enabled: false, memoryBytes: 0, redisTimeoutMs: 100 })
        closers.push(() => tiers.close())
        return serviceOp(db, tiers, locationId, options.flow)
      }
      progress.phase(`starting the HTTP server (cache ${cache ? 'on' : 'off'})`)
      const started = await httpOp(config, db, locationId, options, cache)
      closers.push(() => started.app.close())
      return started.op
    }
    const ops: Partial<Record<Variant, Op>> = {
      naive: counted((t) => naiveSubmit(db, locationId, t)),
      floor: counted((t) => floorSubmit(db, locationId, t)),
    }
    if (options.variants.includes('brisk')) ops.brisk = await warmed(await brisk(true), templates, progress, signal)
    if (options.variants.includes('uncached')) ops.uncached = await brisk(false)
    const results = summarize(await measure(db, locationId, ops, templates, options, { progress, signal, log }), log)
    return () => (options.json ? printJson(results, options, db) : printTable(results, options, db))
  } finally {
    for (const close of closers.reverse()) await close()
  }
}

/** Every template submitted once, unmeasured: what brisk reads of the catalog is in its memory tier before the warm-up. */
async function warmed(op: Op, templates: Template[], progress: Progress, signal: AbortSignal): Promise<Op> {
  progress.phase('warming the cache: every invoice template once')
  for (const template of templates) {
    if (signal.aborted) break
    await op(template)
  }
  return op
}

export const invoiceSubmitScenario: BenchScenario = {
  name: 'invoice-submit',
  description:
    'Submit POS invoices of N lines: Brisk with a warm cache and with the cache off vs a statement-per-line version vs one ' +
    'hand-written statement ' +
    '(in a scratch database, unless --database names one)',
  options: [
    { flags: '--lines <n>', description: 'lines per invoice', defaultValue: '51' },
    { flags: '--clients <n>', description: 'concurrent clients', defaultValue: '1' },
    ...ROUND_OPTIONS,
    { flags: '--products <n>', description: 'catalog size the lines are drawn from', defaultValue: '2000' },
    {
      flags: '--flow <flow>',
      description: 'brisk: "checkout" (one call creates, pays and submits) or "draft" (create a draft, then submit it)',
      defaultValue: 'checkout',
    },
    { flags: '--http', description: 'drive brisk and uncached through the HTTP API on 127.0.0.1 (naive and floor stay in-process)' },
    {
      flags: '--answer <answer>',
      description: 'with --http: "minimal" (a short receipt, Prefer: return=minimal, as a till asks) or "full" (the whole invoice)',
      defaultValue: 'minimal',
    },
    {
      flags: '--variants <list>',
      description: 'comma-separated subset of brisk (warm cache), uncached (cache off), naive, floor',
      defaultValue: 'brisk,uncached,naive,floor',
    },
    DATABASE_OPTION,
  ],
  run,
}
