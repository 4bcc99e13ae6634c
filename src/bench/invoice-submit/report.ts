import type { Db } from '../../infra/db/database.ts'
import { percentile, renderTable } from '../scenario.ts'
import type { Totals } from './driver.ts'
import type { Options, Variant } from './options.ts'

export interface VariantResult {
  submits: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  submitsPerSecond: number
  statementsPerSubmit: number
  /** time spent waiting for the database per submit (sending, running, receiving) */
  dbMsPerSubmit: number
  errors: number
  /** CPU time of this Node process per submit (client, service and driver; with --http the server too) */
  nodeCpuMsPerSubmit: number
  /** units by which stock levels and ledger sums disagree after this variant ran (lost updates) */
  stockDrift: number
}

type Results = Partial<Record<Variant, VariantResult>>

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits

export function summarize(totals: Map<Variant, Totals>, log: (line: string) => void): Results {
  const results: Results = {}
  for (const [variant, total] of totals) {
    const sorted = total.latencies.sort((a, b) => a - b)
    const submits = sorted.length
    if (total.errors > 0) {
      log(`${variant}: ${total.errors} failed; first: ${String((total.firstError as Error)?.message ?? total.firstError)}`)
    }
    results[variant] = {
      submits,
      p50Ms: round(percentile(sorted, 50)),
      p95Ms: round(percentile(sorted, 95)),
      p99Ms: round(percentile(sorted, 99)),
      submitsPerSecond: round(submits / (total.elapsed / 1000), 1),
      statementsPerSubmit: submits === 0 ? 0 : round(total.statements / submits, 1),
      dbMsPerSubmit: submits === 0 ? 0 : round(total.dbMs / submits),
      errors: total.errors,
      nodeCpuMsPerSubmit: submits === 0 ? 0 : round(total.cpuMs / submits),
      stockDrift: round(total.drift, 6),
    }
  }
  return results
}

function ratiosOf({ brisk: b, uncached: u, naive: n, floor: f }: Results) {
  const ratio = (x: number | undefined, y: number | undefined) => (x && y ? round(x / y) : null)
  return {
    uncachedToBriskStatements: ratio(u?.statementsPerSubmit, b?.statementsPerSubmit),
    briskToUncachedThroughput: ratio(b?.submitsPerSecond, u?.submitsPerSecond),
    briskToFloorP50: ratio(b?.p50Ms, f?.p50Ms),
    briskToFloorThroughput: ratio(b?.submitsPerSecond, f?.submitsPerSecond),
    naiveToBriskP50: ratio(n?.p50Ms, b?.p50Ms),
    naiveToBriskStatements: ratio(n?.statementsPerSubmit, b?.statementsPerSubmit),
    briskToNaiveThroughput: ratio(b?.submitsPerSecond, n?.submitsPerSecond),
  }
}

export function printJson(results: Results, options: Options, db: Db): void {
  const setting = {
    database: db.description,
    lines: options.lines,
    clients: options.clients,
    durationSeconds: options.durationMs / 1000,
    rounds: options.rounds,
    products: options.products,
    flow: options.flow,
    http: options.http,
    ...(options.http ? { answer: options.answer } : {}),
  }
  console.log(JSON.stringify({ scenario: 'invoice-submit', ...setting, results, ratios: ratiosOf(results) }, null, 2))
}

export function printTable(results: Results, options: Options, db: Db): void {
  const how = options.http ? `HTTP, ${options.flow}, ${options.answer === 'minimal' ? 'receipt' : 'whole invoice'}` : `service, ${options.flow}`
  const label: Record<Variant, string> = {
    brisk: `brisk (${how}, warm cache)`,
    uncached: `brisk (${how}, cache off)`,
    naive: 'naive (statement per line)',
    floor: 'floor (one statement)',
  }
  console.log(
    `\ninvoice-submit: ${options.lines} lines per invoice, ${options.clients} client(s), ${options.durationMs / 1000} s per variant, ${db.description}\n`,
  )
  console.log(
    renderTable(
      ['variant', 'submits', 'p50 ms', 'p95 ms', 'p99 ms', 'submits/s', 'SQL/submit', 'DB ms', 'Node CPU ms', 'errors', 'stock drift'],
      options.variants.map((v) => {
        const r = results[v]!
        return [
          label[v],
          r.submits,
          r.p50Ms.toFixed(2),
          r.p95Ms.toFixed(2),
          r.p99Ms.toFixed(2),
          r.submitsPerSecond.toFixed(1),
          r.statementsPerSubmit,
          r.dbMsPerSubmit.toFixed(2),
          r.nodeCpuMsPerSubmit.toFixed(2),
          r.errors,
          r.stockDrift,
        ]
      }),
    ),
  )
  console.log('')
  console.log("DB ms: time awaiting the database per submit. Node CPU: this process's CPU per submit.")
  if (db.kind === 'pglite') console.log('With PGlite the database runs in this process: its work counts in both.')
  if (options.variants.includes('brisk')) {
    console.log(
      'warm cache: every invoice was submitted once before the warm-up, so products, prices, tax rates and the location ' +
        "come from the memory tier (with --http, the token too); SQL/submit counts the sale's own statements.",
    )
  }
  printRatios(ratiosOf(results))
}

function printRatios(ratios: ReturnType<typeof ratiosOf>): void {
  if (ratios.uncachedToBriskStatements !== null) {
    console.log(
      `cache off / warm cache: ${ratios.uncachedToBriskStatements}× the statements; the warm cache does ` +
        `${ratios.briskToUncachedThroughput}× the submits/s`,
    )
  }
  if (ratios.briskToFloorP50 !== null) {
    console.log(
      `brisk / floor: p50 ${ratios.briskToFloorP50}×, throughput ${Math.round((ratios.briskToFloorThroughput ?? 0) * 100)} % of the floor`,
    )
  }
  if (ratios.naiveToBriskP50 !== null) {
    console.log(
      `naive / brisk: p50 ${ratios.naiveToBriskP50}×, ${ratios.naiveToBriskStatements}× the statements, brisk does ${ratios.briskToNaiveThroughput}× the submits/s`,
    )
  }
}
