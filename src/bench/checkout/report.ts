import { percentile, renderTable } from '../scenario.ts'
import type { Placed, Tally } from './measure.ts'
import type { Options } from './options.ts'

export interface Latency {
  p50Ms: number
  p95Ms: number
  p99Ms: number
}

export interface VariantResult extends Latency {
  orders: number
  ordersPerSecond: number
  /** statements per order: cart + place for brisk (Server-Timing), 1 for the floor */
  statementsPerOrder: number
  /** the server's time awaiting the database per order (Server-Timing); the floor's whole statement */
  dbMsPerOrder: number
  /** CPU of brisk serve per order; for the floor, of the bench process (driver and Kysely) */
  cpuMsPerOrder: number
  errors: number
  firstError: string | undefined
}

export interface BriskResult extends VariantResult {
  place: Latency
  cartStatements: number
  placeStatements: number
}

export interface Results {
  brisk: BriskResult
  floor: VariantResult
  /** brisk's placement alone over the floor's statement, at p50 */
  placeToFloorP50: number | null
  invariants: { orders: number; placed: number; rollupOrders: number; stockDrift: number; negativeStock: number }
}

export interface Target {
  target: string
  value: string
  met: boolean | null
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits

function latencyOf(values: number[]): Latency {
  const sorted = Float64Array.from(values).sort()
  return { p50Ms: round(percentile(sorted, 50)), p95Ms: round(percentile(sorted, 95)), p99Ms: round(percentile(sorted, 99)) }
}

function resultOf(t: Tally): VariantResult {
  const orders = t.total.length
  return {
    orders,
    ...latencyOf(t.total),
    ordersPerSecond: t.elapsedMs > 0 ? round(orders / (t.elapsedMs / 1000), 1) : 0,
    statementsPerOrder: orders === 0 ? 0 : round((t.cartStatements + t.placeStatements) / orders),
    dbMsPerOrder: orders === 0 ? 0 : round(t.dbMs / orders),
    cpuMsPerOrder: orders === 0 ? 0 : round(t.cpuMs / orders),
    errors: t.errors,
    firstError: t.firstError,
  }
}

export function summarize(tallies: Record<'brisk' | 'floor', Tally>, placed: Placed, checked: Omit<Results['invariants'], 'placed'>): Results {
  const b = tallies.brisk
  const n = b.total.length
  const brisk: BriskResult = {
    ...resultOf(b),
    place: latencyOf(b.place),
    cartStatements: n === 0 ? 0 : round(b.cartStatements / n),
    placeStatements: n === 0 ? 0 : round(b.placeStatements / n),
  }
  const floor = resultOf(tallies.floor)
  return {
    brisk,
    floor,
    placeToFloorP50: brisk.place.p50Ms > 0 && floor.p50Ms > 0 ? round(brisk.place.p50Ms / floor.p50Ms) : null,
    invariants: { ...checked, placed: placed.brisk + placed.floor },
  }
}

/** The targets, shown beside the figures (never asserted: they depend on the machine). */
export function targetsOf(r: Results, options: Options): Target[] {
  const at = (lines: number, clients?: number) => options.lines === lines && (clients === undefined || options.clients === clients)
  return [
    {
      target: '51-line checkout (cart + place) p50 ≤ 15 ms',
      value: `${r.brisk.p50Ms} ms`,
      met: at(51) ? r.brisk.p50Ms <= 15 : null,
    },
    { target: 'cart + place ≤ 6 statements', value: String(r.brisk.statementsPerOrder), met: r.brisk.statementsPerOrder <= 6 },
    {
      target: 'placement ≤ 1.5× the floor (p50)',
      value: r.placeToFloorP50 === null ? '—' : `${r.placeToFloorP50}×`,
      met: r.placeToFloorP50 === null ? null : r.placeToFloorP50 <= 1.5,
    },
    {
      target: '≥ 700 three-line orders/s with 8 clients',
      value: `${r.brisk.ordersPerSecond}/s`,
      met: at(3, 8) ? r.brisk.ordersPerSecond >= 700 : null,
    },
  ]
}

export interface Setting {
  database: string
  options: Options
  machine: { cores: number; loadAverage: number }
}

export function printJson(r: Results, s: Setting): void {
  const { json: _json, ...options } = s.options
  console.log(JSON.stringify({ scenario: 'checkout', database: s.database, ...options, machine: s.machine, results: r, targets: targetsOf(r, s.options) }, null, 2))
}

export function printTable(r: Results, s: Setting): void {
  const o = s.options
  console.log(
    `\ncheckout: ${o.lines} line(s) per order, ${o.clients} client(s), ${o.durationMs / 1000} s per variant in ${o.rounds} round(s), ` +
      `brisk serve --workers ${o.workers}, payment ${o.payment}${o.key ? ', Idempotency-Key on every placement' : ''}, ${s.database}\n`,
  )
  console.log(
    renderTable(
      ['variant', 'orders', 'p50 ms', 'p95 ms', 'p99 ms', 'orders/s', 'SQL/order', 'DB ms/order', 'CPU ms/order', 'errors'],
      figureRows(r),
    ),
  )
  console.log('')
  console.log(
    `SQL/order from Server-Timing: cart ${r.brisk.cartStatements} + place ${r.brisk.placeStatements}` +
      `${o.key ? ' (the read, then the order with its key claimed in the same statement)' : ''}. The floor writes the same rows (order, lines, history, ` +
      'stock, ledger, both rollups) in one hand-written statement, values computed beforehand, from the bench process. ' +
      "DB ms: brisk serve's time awaiting the database per order (Server-Timing). CPU ms: brisk serve's processes per order; " +
      "for the floor, the bench process's (pg driver). PostgreSQL's own CPU is in neither.",
  )
  for (const [name, v] of [['brisk', r.brisk], ['floor', r.floor]] as const) {
    if (v.errors > 0) console.log(`${name}: ${v.errors} failed; first: ${v.firstError}`)
  }
  const i = r.invariants
  console.log(
    `after the run: ${i.orders} orders at the location (${i.placed} placed, warm-up included), rollups count ${i.rollupOrders}, ` +
      `stock drift ${i.stockDrift}, rows below zero ${i.negativeStock}; machine: ${s.machine.cores} cores, load ${s.machine.loadAverage}\n`,
  )
  console.log(
    renderTable(
      ['target (not asserted)', 'here', 'met'],
      targetsOf(r, o).map((t) => [t.target, t.value, t.met === null ? 'n/a at these settings' : t.met ? 'yes' : 'NO']),
    ),
  )
}

function figureRows(r: Results): (string | number)[][] {
  const ms = (n: number) => n.toFixed(2)
  return [
    [
      'brisk: cart + place (HTTP)',
      r.brisk.orders,
      ms(r.brisk.p50Ms),
      ms(r.brisk.p95Ms),
      ms(r.brisk.p99Ms),
      r.brisk.ordersPerSecond.toFixed(1),
      r.brisk.statementsPerOrder,
      ms(r.brisk.dbMsPerOrder),
      ms(r.brisk.cpuMsPerOrder),
      r.brisk.errors,
    ],
    ['brisk: place alone', r.brisk.orders, ms(r.brisk.place.p50Ms), ms(r.brisk.place.p95Ms), ms(r.brisk.place.p99Ms), '', r.brisk.placeStatements, '', '', ''],
    [
      'floor: one statement (pg)',
      r.floor.orders,
      ms(r.floor.p50Ms),
      ms(r.floor.p95Ms),
      ms(r.floor.p99Ms),
      r.floor.ordersPerSecond.toFixed(1),
      r.floor.statementsPerOrder,
      '',
      ms(r.floor.cpuMsPerOrder),
      r.floor.errors,
    ],
  ]
}
