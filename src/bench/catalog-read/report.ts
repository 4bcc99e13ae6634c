import { type Summary, setSharesOfFloorAndHooks } from '../http-load.ts'
import { renderTable } from '../scenario.ts'
import type { Measured } from './measure.ts'
import type { HitResult } from './micro.ts'
import type { Options, Variant } from './options.ts'

export interface VariantResult {
  requests: number
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  statementsPerRequest: number
  /** by lookup (id, sku, barcode); absent for the constant routes */
  statementsByLookup?: Record<string, number>
  dbMsPerRequest: number
  /** CPU time of the serving process(es) per request, in µs */
  serverCpuUsPerRequest: number
  /** the load client's CPU, in % of one core: near 100 % it, not the server, is the limit */
  clientCpuPercent: number
  errors: number
  /** throughput in % of the floor's (Fastify alone) and of the constant route's on Brisk's app (its hooks only) */
  percentOfFloor: number | null
  percentOfHooks: number | null
}

type Results = Partial<Record<Variant, VariantResult>>

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

export function summarize({ totals, summary }: Measured, log: (line: string) => void): Results {
  const results: Results = {}
  for (const [variant, total] of totals) {
    if (total.errors > 0) log(`${variant}: ${total.errors} failed; first: ${total.firstError}`)
    const kinds = summary[variant] ?? []
    const all = kinds[kinds.length - 1]
    const requests = total.requests
    results[variant] = {
      requests,
      requestsPerSecond: round(requests / (total.elapsedMs / 1000)),
      p50Ms: all?.p50Ms ?? Number.NaN,
      p99Ms: all?.p99Ms ?? Number.NaN,
      statementsPerRequest: all?.statementsPerRequest ?? 0,
      ...(kinds.length > 2 ? { statementsByLookup: byLookup(summary, variant) } : {}),
      dbMsPerRequest: all?.dbMsPerRequest ?? 0,
      serverCpuUsPerRequest: requests === 0 ? 0 : round((total.serverCpuMs * 1000) / requests),
      clientCpuPercent: round((total.clientCpuMs / total.elapsedMs) * 100),
      errors: total.errors,
      percentOfFloor: null,
      percentOfHooks: null,
    }
  }
  setSharesOfFloorAndHooks(results)
  return results
}

function byLookup(summary: Summary, variant: Variant): Record<string, number> {
  const [id, sku, barcode] = summary[variant]!
  return { id: id!.statementsPerRequest, sku: sku!.statementsPerRequest, barcode: barcode!.statementsPerRequest }
}

/** The targets for a warm memory tier, checked against this run. */
function targetsOf(results: Results, hits: HitResult | undefined) {
  const checks: { target: string; value: string; met: boolean }[] = []
  if (hits) {
    const value = `${hits.getsPerSecond.toLocaleString('en')} gets/s`
    checks.push({ target: 'in-process memory-tier hit: ≥ 500,000 gets/s on one core', value, met: hits.getsPerSecond >= 500_000 })
  }
  const memory = results.memory
  if (!memory) return checks
  const none = memory.statementsPerRequest === 0
  checks.push({ target: 'memory tier: 0 SQL statements per request', value: `${memory.statementsPerRequest}`, met: none })
  if (results.off) {
    const times = round(memory.requestsPerSecond / results.off.requestsPerSecond, 2)
    checks.push({ target: 'memory tier: ≥ 10× the cache-off throughput', value: `${times}×`, met: times >= 10 })
  }
  if (memory.percentOfFloor !== null) {
    const target = 'memory tier: ≥ 70 % of the floor (Fastify alone)'
    checks.push({ target, value: `${memory.percentOfFloor} %`, met: memory.percentOfFloor >= 70 })
  }
  return checks
}

export interface Setting {
  database: string
  /** where memory + Redis kept its entries */
  redis: string | undefined
  options: Options
  floorBytes: number
  hits: HitResult | undefined
  /** the 1-minute load average when the measuring ended: well above 2, other processes took CPU from the run */
  machine: { cores: number; loadAverage: number }
  notes: string[]
}

export function printJson(results: Results, setting: Setting): void {
  const { options } = setting
  const run = {
    scenario: 'catalog-read',
    database: setting.database,
    clients: options.clients,
    workers: options.workers,
    durationSeconds: options.durationMs / 1000,
    rounds: options.rounds,
    products: options.products,
    zipf: options.zipf,
    anonymous: options.anonymous,
    floorBytes: setting.floorBytes,
    redis: setting.redis ?? null,
    machine: setting.machine,
  }
  const hits = setting.hits ?? null
  console.log(JSON.stringify({ ...run, results, inProcessHits: hits, targets: targetsOf(results, setting.hits), notes: setting.notes }, null, 2))
}

const LABELS: Record<Variant, string> = {
  floor: 'floor: Fastify alone, constant bytes',
  hooks: "Brisk's hooks only, constant bytes",
  off: 'cache off',
  memory: 'memory tier',
  redis: 'memory + Redis',
}

export function printTable(results: Results, setting: Setting): void {
  const { options } = setting
  const who = options.anonymous ? 'anonymous' : "a cashier's token"
  console.log(
    `\ncatalog-read: product by id, SKU and barcode over ${options.products} products (Zipf ${options.zipf}), ` +
      `${options.clients} connection(s), ${options.workers} worker(s), ${who}, ${options.durationMs / 1000} s per variant, ` +
      `${setting.database}\n`,
  )
  const headers = ['variant', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'SQL/req', 'id/sku/code', 'server CPU µs/req']
  const rows = options.variants
    .filter((v) => results[v] !== undefined)
    .map((v) => {
      const r = results[v]!
      const lookups = r.statementsByLookup ? Object.values(r.statementsByLookup).join('/') : ''
      const percent = (n: number | null) => (n === null ? '' : `${n} %`)
      return [
        LABELS[v],
        r.requests,
        r.requestsPerSecond.toFixed(0),
        r.p50Ms.toFixed(2),
        r.p99Ms.toFixed(2),
        r.statementsPerRequest,
        lookups,
        r.serverCpuUsPerRequest.toFixed(0),
        `${r.clientCpuPercent} %`,
        r.errors,
        percent(r.percentOfFloor),
        percent(r.percentOfHooks),
      ]
    })
  console.log(renderTable([...headers, 'client CPU', 'errors', 'of floor', 'of hooks only'], rows))
  console.log('')
  console.log(
    `floor and hooks only answer the ${setting.floorBytes} bytes of the hottest product's read from a constant: the floor from a ` +
      "bare Fastify in the bench's process, hooks only from a route on Brisk's app (request id, statement count, metrics, auth).",
  )
  console.log('client CPU: the load client (a process of its own) in % of one core; near 100 % it is the limit, not the server.')
  if (setting.redis) console.log(`memory + Redis: ${setting.redis}.`)
  const { cores, loadAverage } = setting.machine
  console.log(`${cores} cores; load average (1 min) when the measuring ended: ${loadAverage} (the server and the load client make about 2).`)
  if (setting.hits) {
    const { gets, getsPerSecond, nsPerGet } = setting.hits
    console.log(
      `In-process memory-tier hits (findCachedDoc on warm products, no HTTP, one core): ${getsPerSecond.toLocaleString('en')} gets/s, ` +
        `${nsPerGet} ns each (${gets.toLocaleString('en')} gets).`,
    )
  }
  for (const check of targetsOf(results, setting.hits)) console.log(`target: ${check.target}: ${check.value} ${check.met ? '(met)' : '(NOT met)'}`)
  for (const note of setting.notes) console.log(`note: ${note}`)
}
