import { percentile, renderTable } from '../scenario.ts'
import { type Channel, type Outcome, SOLD_OUT } from './burst.ts'
import type { countSale } from './setup.ts'

export interface ChannelResult {
  buyers: number
  sold: number
  soldOut: number
  errors: number
  /** refusals other than the channel's clean sold-out, by code */
  errorCodes: Record<string, number>
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** online: the checkout request alone */
  place?: { p50Ms: number; p99Ms: number }
}

export interface Check {
  check: string
  value: string
  ok: boolean
}

export interface Results {
  byChannel: Record<Channel | 'all', ChannelResult>
  database: Awaited<ReturnType<typeof countSale>>
  checks: Check[]
  /** the issue's latency target, shown, not asserted */
  target: { target: string; value: string; met: boolean }
}

const round = (n: number) => Math.round(n * 100) / 100

function channelOf(outcomes: Outcome[]): ChannelResult {
  const sorted = Float64Array.from(outcomes.map((o) => o.ms)).sort()
  const errorCodes: Record<string, number> = {}
  for (const o of outcomes) if (o.result === 'error') errorCodes[o.code ?? '?'] = (errorCodes[o.code ?? '?'] ?? 0) + 1
  const places = outcomes.flatMap((o) => (o.placeMs === undefined ? [] : [o.placeMs]))
  const placeSorted = Float64Array.from(places).sort()
  return {
    buyers: outcomes.length,
    sold: outcomes.filter((o) => o.result === 'sold').length,
    soldOut: outcomes.filter((o) => o.result === 'sold out').length,
    errors: outcomes.filter((o) => o.result === 'error').length,
    errorCodes,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
    ...(places.length > 0 ? { place: { p50Ms: round(percentile(placeSorted, 50)), p99Ms: round(percentile(placeSorted, 99)) } } : {}),
  }
}

export function summarize(outcomes: Outcome[], units: number, database: Results['database']): Results {
  const till = channelOf(outcomes.filter((o) => o.channel === 'till'))
  const online = channelOf(outcomes.filter((o) => o.channel === 'online'))
  const all = channelOf(outcomes)
  const expectedSold = Math.min(units, outcomes.length)
  const checks: Check[] = [
    { check: `sold (201 answers) = ${expectedSold}`, value: String(all.sold), ok: all.sold === expectedSold },
    {
      check: `clean 409 sold out = ${outcomes.length - expectedSold}`,
      value: `${all.soldOut} (${SOLD_OUT.till} ${till.soldOut}, ${SOLD_OUT.online} ${online.soldOut})`,
      ok: all.soldOut === outcomes.length - expectedSold,
    },
    { check: 'other errors = 0', value: String(all.errors), ok: all.errors === 0 },
    {
      check: 'units in the database = answers (till invoices + online order lines)',
      value: `${database.tillSold} + ${database.onlineSold}`,
      ok: database.tillSold === till.sold && database.onlineSold === online.sold,
    },
    { check: `stock = ${units - expectedSold}`, value: String(database.stock), ok: database.stock === units - expectedSold },
    { check: 'ledger sum = stock', value: String(database.ledgerSum), ok: database.ledgerSum === database.stock },
  ]
  return {
    byChannel: { till, online, all },
    database,
    checks,
    target: { target: 'p99 ≤ 200 ms (all buyers)', value: `${all.p99Ms} ms`, met: all.p99Ms <= 200 },
  }
}

export interface Setting {
  database: string
  buyers: number
  units: number
  carts: 'during' | 'ready'
  machine: { cores: number; loadAverage: number }
}

export function printJson(r: Results, s: Setting): void {
  console.log(JSON.stringify({ scenario: 'flash-sale', ...s, results: r }, null, 2))
}

export function printTable(r: Results, s: Setting): void {
  console.log(
    `\nflash-sale: ${s.buyers} buyers released at once (one connection each; even ones at the tills, odd ones online: ${s.carts === 'ready' ? 'checkout of a cart made before' : 'cart + checkout'}) for ${s.units} units of one product at one location, ${s.database}\n`,
  )
  const row = (name: string, c: ChannelResult) => [
    name,
    c.buyers,
    c.sold,
    c.soldOut,
    c.errors,
    c.p50Ms.toFixed(2),
    c.p99Ms.toFixed(2),
    c.maxMs.toFixed(2),
    c.place ? `${c.place.p50Ms.toFixed(2)} / ${c.place.p99Ms.toFixed(2)}` : '',
  ]
  const { till, online, all } = r.byChannel
  console.log(
    renderTable(
      ['channel', 'buyers', 'sold', '409 sold out', 'errors', 'p50 ms', 'p99 ms', 'max ms', 'checkout alone p50 / p99'],
      [row('till (POST /api/sales/invoices, submit)', till), row(s.carts === 'ready' ? 'online (checkout, cart ready)' : 'online (cart + checkout)', online), row('all', all)],
    ),
  )
  const codes = Object.entries(all.errorCodes)
  if (codes.length > 0) console.log(`\nerrors: ${codes.map(([code, n]) => `${code} ×${n}`).join(', ')}`)
  console.log('\nlatency: from the release to the buyer\'s last answer.\n')
  console.log(renderTable(['check', 'here', 'ok'], r.checks.map((c) => [c.check, c.value, c.ok ? 'yes' : 'NO'])))
  console.log(
    `\ntarget (not asserted): ${r.target.target}: ${r.target.value}, ${r.target.met ? 'met' : 'NOT met'}; machine: ` +
      `${s.machine.cores} cores, load ${s.machine.loadAverage}`,
  )
}
