import { percentile, renderTable } from '../scenario.ts'
import type { ChangeTimes } from './measure.ts'
import type { Options, Variant } from './options.ts'

export interface VariantResult {
  changes: number
  /** from A's answer until B shows the new price; null: not within the timeout */
  p50Ms: number | null
  p99Ms: number | null
  maxMs: number | null
  /** changes B showed on the first read after A answered */
  firstRead: number
  /** changes B did not show within the timeout */
  unseen: number
  /** A's answer to the change: its transaction and its evictions */
  writeP50Ms: number
  writeP99Ms: number
  /** from A publishing an eviction to B receiving it (bus messages carry ms timestamps); null without Redis */
  busP50Ms: number | null
  busP99Ms: number | null
}

export type Results = Partial<Record<Variant, VariantResult>>

const TARGET_P99_MS = 50

const ms = (n: number) => (Number.isFinite(n) ? Math.round(n * 1000) / 1000 : null)

export function summarize(times: ChangeTimes, busMs: number[]): VariantResult {
  const visible = Float64Array.from(times.visibleMs).sort()
  const writes = Float64Array.from(times.writeMs).sort()
  const bus = Float64Array.from(busMs).sort()
  return {
    changes: visible.length,
    p50Ms: ms(percentile(visible, 50)),
    p99Ms: ms(percentile(visible, 99)),
    maxMs: ms(visible[visible.length - 1] ?? Number.NaN),
    firstRead: times.firstRead,
    unseen: times.unseen,
    writeP50Ms: ms(percentile(writes, 50)) ?? 0,
    writeP99Ms: ms(percentile(writes, 99)) ?? 0,
    busP50Ms: ms(percentile(bus, 50)),
    busP99Ms: ms(percentile(bus, 99)),
  }
}

function targetOf(results: Results) {
  const redis = results.redis
  if (!redis) return undefined
  const value = redis.p99Ms === null ? 'not seen' : `${redis.p99Ms} ms`
  return { target: `memory + Redis: p99 ≤ ${TARGET_P99_MS} ms`, value, met: redis.p99Ms !== null && redis.p99Ms <= TARGET_P99_MS }
}

export interface Setting {
  database: string
  redis: string | undefined
  options: Options
}

export function printJson(results: Results, setting: Setting): void {
  const { options } = setting
  const run = {
    scenario: 'cache-invalidation',
    database: setting.database,
    redis: setting.redis ?? null,
    changes: options.changes,
    products: options.products,
    timeoutSeconds: options.timeoutMs / 1000,
  }
  const target = targetOf(results)
  console.log(JSON.stringify({ ...run, results, targets: target ? [target] : [] }, null, 2))
}

const LABELS: Record<Variant, string> = {
  off: 'cache off (B reads the database)',
  redis: 'memory + Redis (B evicted by the bus)',
}

export function printTable(results: Results, setting: Setting): void {
  const { options } = setting
  const timeout = `> ${options.timeoutMs} ms`
  console.log(
    `\ncache-invalidation: ${options.changes} price changes through app A over ${options.products} products, each read ` +
      `from app B until it shows the new price, ${setting.database}\n`,
  )
  const show = (n: number | null) => (n === null ? timeout : n.toFixed(2))
  const rows = options.variants.flatMap((v) => {
    const r = results[v]
    if (!r) return []
    const bus = (n: number | null) => (n === null ? '' : n.toFixed(0))
    const times = [show(r.p50Ms), show(r.p99Ms), show(r.maxMs)]
    const writes = [r.writeP50Ms.toFixed(2), r.writeP99Ms.toFixed(2)]
    return [[LABELS[v], r.changes, ...times, r.firstRead, r.unseen, ...writes, bus(r.busP50Ms), bus(r.busP99Ms)]]
  })
  const headers = ['variant', 'changes', 'p50 ms', 'p99 ms', 'max ms', 'on 1st read', 'unseen', 'write p50', 'write p99', 'bus p50', 'bus p99']
  console.log(renderTable(headers, rows))
  console.log('')
  console.log("Times run from A's answer to the change (committed, evicted) to B's first answer with the new price.")
  console.log('A and B are two apps in this process, each with its own memory tier and its own Redis connections.')
  console.log('bus: from A publishing an eviction to B receiving it, in whole ms (the messages carry millisecond timestamps).')
  if (setting.redis) console.log(`memory + Redis: ${setting.redis}.`)
  const target = targetOf(results)
  if (target) console.log(`target: ${target.target}: ${target.value} ${target.met ? '(met)' : '(NOT met)'}`)
}
