import { renderTable } from '../scenario.ts'
import type { KillMeasured } from './kill.ts'
import type { NodeReads, VariantTotals } from './measure.ts'
import type { Options, Variant } from './options.ts'

export interface VariantResult {
  requests: number
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  /** requests answered other than 2xx */
  failed: number
  firstFailure: string | null
  statementsPerRequest: number
  /** statements served by each node (see READS_COUNTED_BY) */
  reads: NodeReads
  /** throughput in % of Brisk's over the primary alone (replicas-0) */
  percentOfNoReplicas: number | null
}

export interface KillResult extends Omit<VariantResult, 'reads'> {
  node: string
  killAtSeconds: number
  killTookMs: number
  restartAtSeconds: number
  restartTookMs: number
  servedAgainAfterMs: number | null
  failovers: number
  nodeFailures: number
  maxEventLoopStallMs: number
  reads: { beforeKill: NodeReads; whileDown: NodeReads; afterRestart: NodeReads; total: NodeReads }
}

export type Results = Partial<Record<Variant, VariantResult>>

export const READS_COUNTED_BY =
  "reads per node are SQL statements: with replicas, as Brisk's read router counted them (app.db.replicas.status(): each " +
  "replica's reads, and the primary's when it served for them); without replicas, Brisk's Server-Timing statement count " +
  '(all on the primary); for the floor, the statements it sent'

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

function resultOf(total: Pick<VariantTotals, 'requests' | 'errors' | 'firstError' | 'elapsedMs' | 'stats'>, reads: NodeReads | undefined) {
  const statementsPerRequest = total.stats?.statementsPerRequest ?? 0
  return {
    requests: total.requests,
    requestsPerSecond: total.elapsedMs > 0 ? round(total.requests / (total.elapsedMs / 1000)) : 0,
    p50Ms: total.stats?.p50Ms ?? Number.NaN,
    p99Ms: total.stats?.p99Ms ?? Number.NaN,
    failed: total.errors,
    firstFailure: total.firstError ?? null,
    statementsPerRequest,
    // Brisk over the primary alone, and the floor, have no router: every statement they sent ran there
    reads: reads ?? { primary: Math.round(statementsPerRequest * total.requests) },
    percentOfNoReplicas: null as number | null,
  }
}

export function summarize(totals: Map<Variant, VariantTotals>, killed: KillMeasured | undefined): { results: Results; kill: KillResult | null } {
  const results: Results = {}
  for (const [variant, total] of totals) results[variant] = resultOf(total, total.reads)
  const reference = results['replicas-0']
  const percent = (rps: number) => (reference && reference.requestsPerSecond > 0 ? round((rps / reference.requestsPerSecond) * 100) : null)
  for (const r of Object.values(results)) r.percentOfNoReplicas = percent(r.requestsPerSecond)
  if (killed === undefined) return { results, kill: null }
  const { outcome, stats, reads, killAtMs, restartAtMs, ...rest } = killed
  const total: NodeReads = {}
  for (const part of Object.values(reads)) for (const [node, n] of Object.entries(part)) total[node] = (total[node] ?? 0) + n
  const row = resultOf({ ...outcome, stats }, total)
  const kill: KillResult = {
    ...row,
    percentOfNoReplicas: percent(row.requestsPerSecond),
    ...rest,
    killAtSeconds: round(killAtMs / 1000, 2),
    killTookMs: round(rest.killTookMs),
    restartAtSeconds: round(restartAtMs / 1000, 2),
    restartTookMs: round(rest.restartTookMs),
    servedAgainAfterMs: rest.servedAgainAfterMs === null ? null : round(rest.servedAgainAfterMs),
    maxEventLoopStallMs: round(rest.maxEventLoopStallMs),
    reads: { ...reads, total },
  }
  return { results, kill }
}

/** The issue's target for the fault run, checked against this run. */
export function targetsOf(kill: KillResult | null) {
  if (kill === null) return []
  return [
    { target: `0 failed requests while ${kill.node} is killed and restarted`, value: String(kill.failed), met: kill.failed === 0 },
    {
      target: `${kill.node} serves reads again after its restart`,
      value: kill.servedAgainAfterMs === null ? 'no' : `${kill.servedAgainAfterMs} ms after it accepted connections`,
      met: kill.servedAgainAfterMs !== null,
    },
  ]
}

export interface Setting {
  options: Options
  /** BRISK_* settings of the Brisk apps, as NAME=value */
  settings: Record<string, string>
  serverPrograms: string
  machine: { cores: number; loadAverage: number }
  notes: string[]
}

export function printJson(results: Results, kill: KillResult | null, setting: Setting): void {
  const { options } = setting
  const run = {
    scenario: 'read-scaling',
    cluster: { primary: 1, replicas: 2, serverPrograms: setting.serverPrograms },
    request: 'GET /api/products/:id, anonymous, cache off',
    clients: options.clients,
    durationSeconds: options.durationMs / 1000,
    warmupSeconds: options.warmupMs / 1000,
    rounds: options.rounds,
    products: options.products,
    settings: setting.settings,
    readsCountedBy: READS_COUNTED_BY,
    machine: setting.machine,
  }
  console.log(JSON.stringify({ ...run, results, kill, targets: targetsOf(kill), notes: setting.notes }, null, 2))
}

const LABELS: Record<Variant, string> = {
  floor: 'floor: the 2 statements with pg, no HTTP',
  'replicas-0': 'Brisk, 0 replicas (primary only)',
  'replicas-1': 'Brisk, 1 replica',
  'replicas-2': 'Brisk, 2 replicas',
}

const NODES = ['primary', 'replica-1', 'replica-2']

function row(label: string, r: Omit<VariantResult, 'reads'> | undefined, reads: NodeReads): (string | number)[] {
  const figures = r
    ? [r.requests, r.requestsPerSecond.toFixed(0), r.p50Ms.toFixed(2), r.p99Ms.toFixed(2), r.failed]
    : ['', '', '', '', '']
  const percent = r?.percentOfNoReplicas == null ? '' : `${r.percentOfNoReplicas} %`
  return [label, ...figures, ...NODES.map((n) => (reads[n] === undefined ? '' : reads[n]!)), percent]
}

export function printTable(results: Results, kill: KillResult | null, setting: Setting): void {
  const { options } = setting
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  console.log(
    `\nread-scaling: GET /api/products/:id (anonymous, cache off) over ${options.products} products in a random order, ` +
      `${options.clients} connection(s), ${seconds(options.durationMs)} per variant in ${options.rounds} round(s), ` +
      `a PostgreSQL primary and 2 streaming replicas of the bench's own\n`,
  )
  const headers = ['variant', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'failed', 'primary', 'replica-1', 'replica-2', 'of 0 replicas']
  const rows = (Object.keys(LABELS) as Variant[]).filter((v) => results[v]).map((v) => row(LABELS[v], results[v], results[v]!.reads))
  if (kill) {
    const { killAtSeconds: k, restartAtSeconds: s } = kill
    rows.push(row(`Brisk, 2 replicas, ${kill.node} killed and restarted`, kill, kill.reads.total))
    rows.push(row(`  reads before the kill (0–${k} s)`, undefined, kill.reads.beforeKill))
    rows.push(row(`  reads from the kill to the restart (${k}–${s} s)`, undefined, kill.reads.whileDown))
    rows.push(row(`  reads after its restart (${s} s–end)`, undefined, kill.reads.afterRestart))
  }
  console.log(renderTable(headers, rows))
  console.log('')
  if (kill) console.log(describeKill(kill))
  console.log(`Brisk's settings: ${Object.entries(setting.settings).map(([k, v]) => `${k}=${v}`).join(', ')}.`)
  console.log(`${READS_COUNTED_BY[0]!.toUpperCase()}${READS_COUNTED_BY.slice(1)}.`)
  const { cores, loadAverage } = setting.machine
  console.log(
    `${cores} cores, load average (1 min) ${loadAverage} when the measuring ended. The primary, the replicas, Brisk and the load ` +
      'client all share these cores, so throughput cannot scale with replicas here: the replica rows tell what routing costs, ' +
      'the kill row whether a crash costs requests.',
  )
  for (const check of targetsOf(kill)) console.log(`target: ${check.target}: ${check.value} ${check.met ? '(met)' : '(NOT met)'}`)
  for (const note of setting.notes) console.log(`note: ${note}`)
}

function describeKill(kill: KillResult): string {
  const servedAgain =
    kill.servedAgainAfterMs === null ? 'it had served no read again when the run ended' : `it served reads again ${kill.servedAgainAfterMs} ms later`
  return (
    `${kill.node}: SIGKILLed at ${kill.killAtSeconds} s (the harness's kill() took ${kill.killTookMs} ms, in this process, which is ` +
    `Brisk's: its event loop stood still up to ${kill.maxEventLoopStallMs} ms in this run); started again at ${kill.restartAtSeconds} s, ` +
    `accepting connections ${kill.restartTookMs} ms later; ${servedAgain}. Brisk found it unreachable ${kill.nodeFailures} time(s) ` +
    `(a read, a connection or a lag check); reads that failed on a replica and ran again elsewhere: ${kill.failovers}.` +
    `${kill.firstFailure ? ` First failed request: ${kill.firstFailure}` : ''}`
  )
}
