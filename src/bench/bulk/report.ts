import type { Db } from '../../infra/db/database.ts'
import { renderTable } from '../scenario.ts'
import type { SeedCheck, VariantResult } from './measure.ts'
import type { Options } from './options.ts'
import type { TillFigures } from './tills.ts'

export interface Summary {
  operation: Options['operation']
  size: number
  chunkSize: number
  tills: number
  /** the tills' figures selling with nothing else running */
  idle: TillFigures | null
  results: VariantResult[]
  /** brisk's rows/s as a percentage of the floor's; null without both */
  briskPercentOfFloor: number | null
  /** variants not run here, and why */
  notRun: string[]
  seed003: SeedCheck | null
  checks: {
    /** variants whose rows in the target table are not the input's size */
    rowsOff: { variant: string; rows: number; expected: number }[]
    /** failed sales over every variant and the idle run */
    tillErrors: number
  }
}

export function summarize(options: Options, results: VariantResult[], idle: TillFigures | null, notRun: string[], seed003: SeedCheck | null): Summary {
  const of = (variant: string) => results.find((r) => r.variant === variant)
  const brisk = of('brisk')
  const floor = of('floor')
  return {
    operation: options.operation,
    size: options.size,
    chunkSize: options.chunkSize,
    tills: options.tills,
    idle,
    results,
    briskPercentOfFloor: brisk && floor ? Math.round((1000 * brisk.rowsPerSecond) / floor.rowsPerSecond) / 10 : null,
    notRun,
    seed003,
    checks: {
      rowsOff: results.filter((r) => r.rows !== options.size).map((r) => ({ variant: r.variant, rows: r.rows, expected: options.size })),
      tillErrors: (idle?.errors ?? 0) + results.reduce((sum, r) => sum + (r.tills?.errors ?? 0), 0),
    },
  }
}

export function printJson(summary: Summary, db: Db): void {
  console.log(JSON.stringify({ scenario: 'bulk', database: db.description, ...summary }, null, 2))
}

const LABEL = {
  naive: "naive (seed 003's before: a query per lookup, a write per row)",
  brisk: 'brisk (the import engine)',
  floor: 'floor (COPY of resolved rows)',
}

const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(1))

export function printTable(summary: Summary, db: Db): void {
  const { operation, size, chunkSize } = summary
  console.log(`\nbulk: ${size} ${operation}, chunks of ${chunkSize}, ${db.description}\n`)
  const rows = summary.results.map((r) => [
    LABEL[r.variant],
    r.rows,
    r.statements,
    r.ms.toFixed(0),
    r.rowsPerSecond,
    r.peakRssMb,
    r.variant === 'brisk' && summary.briskPercentOfFloor !== null ? `${summary.briskPercentOfFloor} %` : '',
    r.tills ? `${ms(r.tills.p99Ms)} (${r.tills.sales})` : '-',
    r.tills ? r.tills.errors : '-',
  ])
  const idle = summary.idle ? `till p99 ms (idle ${ms(summary.idle.p99Ms)})` : 'till p99 ms'
  console.log(renderTable(['variant', 'rows', 'statements', 'wall ms', 'rows/s', 'peak RSS MB', 'of floor', idle, 'till errors'], rows))
  console.log('')
  for (const line of notes(summary, db)) console.log(line)
}

function notes(summary: Summary, db: Db): string[] {
  const lines = [
    'rows: found whole afterwards (stock: a ledger row matching the level; products: with their 3 units); the target is emptied between variants.',
    'statements: every one sent, BEGIN and COMMIT included; brisk counts its batch log and import run rows too.',
    summary.tills > 0
      ? `tills: ${summary.tills} concurrent POS sales (3 lines) at their own location during each variant; p99 (sales); idle: nothing else running.`
      : 'tills: none (--tills 0).',
    'orders: see `brisk bench batch-orders --operation import`.',
    ...summary.notRun,
  ]
  if (db.kind === 'pglite') lines.push('PGlite runs in this process, one connection: its work is in the times and the RSS; tills wait for a running transaction.')
  const { rowsOff, tillErrors } = summary.checks
  lines.push(
    rowsOff.length === 0 && tillErrors === 0
      ? 'checks: every variant landed every row; 0 till errors'
      : `checks FAILED: ${[...rowsOff.map((r) => `${r.variant} landed ${r.rows} of ${r.expected}`), ...(tillErrors > 0 ? [`${tillErrors} till errors`] : [])].join(', ')}`,
  )
  const seed = summary.seed003
  if (seed) {
    lines.push(
      `seed 003: ${seed.rows} ${summary.operation} through brisk (chunks of the default size) in ${seed.statements} statements (seed: ${seed.seedStatements}; target ≤ ${seed.maxStatements}): ${seed.met ? 'met' : 'NOT met'}`,
    )
  }
  return lines
}
