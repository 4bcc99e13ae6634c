import type { Checks } from './checks.ts'
import type { Db } from '../../infra/db/database.ts'
import { renderTable } from '../scenario.ts'
import type { Measured } from './measure.ts'
import type { Options } from './options.ts'

/** Seed 003's case: 10 orders through the batch in at most 3 statements (from 98 the naive way). */
export const SEED_003 = { orders: 10, maxStatements: 3 }

export interface Ratio {
  size: number
  /** naive / brisk */
  statements: number
  time: number
}

export interface Summary {
  results: Measured[]
  ratios: Ratio[]
  /** mark-paid only: brisk's statements for 10 orders; null when the sizes left 10 out */
  seed003: { statements: number; maxStatements: number; met: boolean } | null
  checks: Checks
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

export function summarize(results: Measured[], options: Options, checks: Checks): Summary {
  const of = (size: number, variant: Measured['variant']) => results.find((r) => r.size === size && r.variant === variant)
  const ratios = options.sizes.flatMap((size) => {
    const naive = of(size, 'naive')
    const brisk = of(size, 'brisk')
    if (!naive || !brisk) return []
    return [{ size, statements: round(naive.statements / brisk.statements), time: round(naive.ms / Math.max(brisk.ms, 0.001)) }]
  })
  const ten = options.operation === 'mark-paid' ? of(SEED_003.orders, 'brisk') : undefined
  const seed003 = ten ? { statements: ten.statements, maxStatements: SEED_003.maxStatements, met: ten.statements <= SEED_003.maxStatements } : null
  return { results, ratios, seed003, checks }
}

export function printJson(summary: Summary, options: Options, db: Db): void {
  console.log(JSON.stringify({ scenario: 'batch-orders', database: db.description, operation: options.operation, ...summary }, null, 2))
}

export function printTable(summary: Summary, options: Options, db: Db): void {
  const what = options.operation === 'mark-paid' ? 'placed orders marked paid' : 'marketplace orders imported (2 lines each)'
  console.log(`\nbatch-orders: ${what}, ${db.description}\n`)
  const label = { naive: "naive (seed 003's before: an order at a time)", brisk: 'brisk (batch service, chunks of 1,000)' }
  const rows = summary.results.map((r) => {
    const ratio = summary.ratios.find((x) => x.size === r.size)
    const vs = r.variant === 'naive' && ratio ? `${ratio.statements}× statements, ${ratio.time}× time` : ''
    return [r.size, label[r.variant], r.statements, r.ms.toFixed(2), r.ordersPerSecond, vs]
  })
  console.log(renderTable(['orders', 'variant', 'statements', 'ms', 'orders/s', 'naive / brisk'], rows))
  console.log('')
  console.log('statements: every one sent, BEGIN and COMMIT included; brisk counts its batch log row (2 statements) too.')
  if (db.kind === 'pglite') console.log('PGlite runs in this process: times include its work.')
  const off = Object.entries(summary.checks).filter(([, n]) => n !== 0)
  console.log(
    off.length === 0
      ? 'checks: stock = ledger, online rollups = a recount from the orders, every order has its history row'
      : `checks FAILED: ${off.map(([name, n]) => `${name} ${n}`).join(', ')}`,
  )
  if (options.operation !== 'mark-paid') return
  const seed = summary.seed003
  if (seed === null) console.log(`seed 003 (${SEED_003.orders} orders in ≤ ${SEED_003.maxStatements} statements): not run; add ${SEED_003.orders} to --size`)
  else console.log(`seed 003: ${SEED_003.orders} orders marked paid in ${seed.statements} statements (target ≤ ${seed.maxStatements}): ${seed.met ? 'met' : 'NOT met'}`)
}
