import { type LatencyStats, setSharesOfFloorAndHooks } from '../http-load.ts'
import { renderTable } from '../scenario.ts'
import type { Measured } from './measure.ts'
import { type Options, type PAGE_KINDS, VARIANTS, type Variant } from './options.ts'
import type { PageChecks } from './servers.ts'

export interface PageFigures {
  requests: number
  p50Ms: number
  p99Ms: number
  statementsPerPage: number
}

export interface VariantResult extends PageFigures {
  requestsPerSecond: number
  /** product and category pages apart */
  byPage: Record<(typeof PAGE_KINDS)[number], PageFigures>
  /** CPU of the bench's process (the servers) per request, in µs */
  serverCpuUsPerRequest: number
  /** the load client's CPU in % of one core: near 100 % it, not the server, is the limit */
  clientCpuPercent: number
  errors: number
  percentOfFloor: number | null
  /** in % of the constant route on Brisk's app: what the storefront's own work leaves of what the hooks allow */
  percentOfHooks: number | null
}

export type Results = Partial<Record<Variant, VariantResult>>

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

const figuresOf = (stats: LatencyStats | undefined): PageFigures => ({
  requests: stats?.requests ?? 0,
  p50Ms: stats?.p50Ms ?? Number.NaN,
  p99Ms: stats?.p99Ms ?? Number.NaN,
  statementsPerPage: stats?.statementsPerRequest ?? 0,
})

export function summarize({ totals, summary }: Measured, log: (line: string) => void): Results {
  const results: Results = {}
  for (const [variant, total] of totals) {
    if (total.errors > 0) log(`${variant}: ${total.errors} failed; first: ${total.firstError}`)
    const [product, category, both] = summary[variant] ?? []
    results[variant] = {
      ...figuresOf(both),
      requests: total.requests,
      requestsPerSecond: round(total.requests / (total.elapsedMs / 1000)),
      byPage: { product: figuresOf(product), category: figuresOf(category) },
      serverCpuUsPerRequest: total.requests === 0 ? 0 : round((total.serverCpuMs * 1000) / total.requests),
      clientCpuPercent: round((total.clientCpuMs / total.elapsedMs) * 100),
      errors: total.errors,
      percentOfFloor: null,
      percentOfHooks: null,
    }
  }
  setSharesOfFloorAndHooks(results)
  return results
}

export interface Check {
  target: string
  value: string
  met: boolean
}

/** The targets for a cached page with holes, checked against this run. */
export function targetsOf(results: Results, checks: PageChecks): Check[] {
  const cached = results.cached
  const list: Check[] = [
    {
      target: 'cached pages are the bytes of a full render for the same visitor',
      value: `${checks.identical} of ${checks.pages}`,
      met: checks.identical === checks.pages,
    },
  ]
  if (!cached) return list
  const statements = Math.max(cached.statementsPerPage, checks.warmStatements)
  list.push({ target: 'cached page, hole data cached: 0 statements per page', value: `${cached.statementsPerPage}`, met: statements === 0 })
  list.push({ target: 'cached page with holes: p50 ≤ 2 ms', value: `${cached.p50Ms} ms`, met: cached.p50Ms <= 2 })
  list.push({ target: 'cached page with holes: p99 ≤ 10 ms', value: `${cached.p99Ms} ms`, met: cached.p99Ms <= 10 })
  if (results.off && results.off.requestsPerSecond > 0) {
    const times = round(cached.requestsPerSecond / results.off.requestsPerSecond, 1)
    list.push({ target: 'cached: ≥ 20× the uncached throughput', value: `${times}×`, met: times >= 20 })
  }
  if (cached.percentOfFloor !== null) {
    list.push({ target: 'cached: ≥ 60 % of the floor', value: `${cached.percentOfFloor} %`, met: cached.percentOfFloor >= 60 })
  }
  return list
}

export interface Setting {
  database: string
  options: Options
  checks: PageChecks
  pages: { product: number; category: number; averageBytes: number }
  /** the 1-minute load average when the measuring ended: well above 2, other processes took CPU from the run */
  machine: { cores: number; loadAverage: number }
}

export function printJson(results: Results, setting: Setting): void {
  const { options } = setting
  const run = {
    scenario: 'storefront',
    database: setting.database,
    clients: options.clients,
    durationSeconds: options.durationMs / 1000,
    rounds: options.rounds,
    pages: setting.pages,
    machine: setting.machine,
  }
  console.log(JSON.stringify({ ...run, results, checks: setting.checks, targets: targetsOf(results, setting.checks) }, null, 2))
}

const LABELS: Record<Variant, string> = {
  floor: 'floor: Fastify alone, constant bytes',
  hooks: "Brisk's hooks only, constant bytes",
  cached: 'shell cache on (two-pass, holes filled)',
  off: 'page cache off (every page rendered)',
}

export function printTable(results: Results, setting: Setting): void {
  const { options, pages } = setting
  console.log(
    `\nstorefront: ${pages.product} product and ${pages.category} category pages (${pages.averageBytes} bytes on average) over HTTP, ` +
      `a signed-in visitor with a cart, ${options.clients} connection(s), ${options.durationMs / 1000} s per variant, ${setting.database}\n`,
  )
  const headers = ['variant', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'SQL/page', 'product p50/p99', 'category p50/p99', 'CPU µs/req']
  const rows = VARIANTS.filter((v) => results[v] !== undefined).map((v) => {
    const r = results[v]!
    const pair = (f: PageFigures) => `${f.p50Ms.toFixed(2)}/${f.p99Ms.toFixed(2)}`
    return [
      LABELS[v],
      r.requests,
      r.requestsPerSecond.toFixed(0),
      r.p50Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      r.statementsPerPage,
      pair(r.byPage.product),
      pair(r.byPage.category),
      r.serverCpuUsPerRequest.toFixed(0),
      `${r.clientCpuPercent} %`,
      r.errors,
      r.percentOfFloor === null ? '' : `${r.percentOfFloor} %`,
      r.percentOfHooks === null ? '' : `${r.percentOfHooks} %`,
    ]
  })
  console.log(renderTable([...headers, 'client CPU', 'errors', 'of floor', 'of hooks only'], rows))
  console.log('')
  console.log(
    "floor: the same bytes the app sent the visitor for each page, from a bare Fastify in the bench's process; hooks only: " +
      "those bytes from a route on Brisk's app (request id, statement count, metrics), no storefront code. " +
      'Cache tiers in memory only (no Redis); the page cache off still reads catalog objects from them.',
  )
  console.log('client CPU: the load client (a process of its own) in % of one core; near 100 % it is the limit, not the server.')
  const { cores, loadAverage } = setting.machine
  console.log(`${cores} cores; load average (1 min) when the measuring ended: ${loadAverage} (the server and the load client make about 2).`)
  for (const check of targetsOf(results, setting.checks)) console.log(`target: ${check.target}: ${check.value} ${check.met ? '(met)' : '(NOT met)'}`)
}
