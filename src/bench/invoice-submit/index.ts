/**
 * `brisk bench invoice-submit`: one POS sale of N lines (invoice, lines, payment, stock decrements,
 * ledger rows, rollups) three ways, in a scratch database:
 * - brisk: the sales service (or, with --http, the HTTP API);
 * - naive: the same work a statement per line, read-modify-write, the way seed 000 started;
 * - floor: one hand-written statement doing the same writes — the physical limit here.
 */
import type { Config } from '../../config/config.ts'
import { DATABASE_OPTION } from '../scratch.ts'
import type { BenchScenario } from '../scenario.ts'
import { type BenchSession, runBenchSession } from '../session.ts'
import { type BenchApp, httpOp, serviceOp } from './brisk.ts'
import { counted, measure, type Op } from './driver.ts'
import { floorSubmit } from './floor.ts'
import { naiveSubmit } from './naive.ts'
import { type Options, parseOptions, type Variant } from './options.ts'
import { printJson, printTable, summarize } from './report.ts'
import { setUp } from './setup.ts'

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
  let app: BenchApp | undefined
  try {
    let brisk: Op
    if (options.http) {
      progress.phase('starting the HTTP server')
      const started = await httpOp(config, db, locationId, options)
      app = started.app
      brisk = started.op
    } else {
      brisk = serviceOp(db, locationId, options.flow)
    }
    const ops: Record<Variant, Op> = {
      brisk,
      naive: counted((t) => naiveSubmit(db, locationId, t)),
      floor: counted((t) => floorSubmit(db, locationId, t)),
    }
    const results = summarize(await measure(db, locationId, ops, templates, options, { progress, signal, log }), log)
    return () => (options.json ? printJson(results, options, db) : printTable(results, options, db))
  } finally {
    if (app) await app.close()
  }
}

export const invoiceSubmitScenario: BenchScenario = {
  name: 'invoice-submit',
  description:
    'Submit POS invoices of N lines: Brisk vs a statement-per-line version vs one hand-written statement ' +
    '(in a scratch database, unless --database names one)',
  options: [
    { flags: '--lines <n>', description: 'lines per invoice', defaultValue: '51' },
    { flags: '--clients <n>', description: 'concurrent clients', defaultValue: '1' },
    { flags: '--duration <seconds>', description: 'measured seconds per variant (over all rounds)', defaultValue: '10' },
    { flags: '--warmup <seconds>', description: 'unmeasured seconds of each variant before measuring', defaultValue: '1' },
    {
      flags: '--rounds <n>',
      description: 'the measured time is cut in this many rounds; in each, every variant runs in turn',
      defaultValue: '5',
    },
    { flags: '--products <n>', description: 'catalog size the lines are drawn from', defaultValue: '2000' },
    {
      flags: '--flow <flow>',
      description: 'brisk: "checkout" (one call creates, pays and submits) or "draft" (create a draft, then submit it)',
      defaultValue: 'checkout',
    },
    { flags: '--http', description: 'drive brisk through the HTTP API on 127.0.0.1 (naive and floor stay in-process)' },
    {
      flags: '--answer <answer>',
      description: 'with --http: "minimal" (a short receipt, Prefer: return=minimal, as a till asks) or "full" (the whole invoice)',
      defaultValue: 'minimal',
    },
    { flags: '--variants <list>', description: 'comma-separated subset of brisk,naive,floor', defaultValue: 'brisk,naive,floor' },
    DATABASE_OPTION,
  ],
  run,
}
