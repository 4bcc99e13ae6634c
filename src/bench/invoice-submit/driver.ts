import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import type { Db } from '../../infra/db/database.ts'
import { newQueryStats, runWithQueryStats } from '../../infra/db/query-stats.ts'
import type { Progress } from '../progress.ts'
import type { Options, Variant } from './options.ts'
import type { Template } from './setup.ts'

/** What one submit sent to the database. */
export interface Sent {
  statements: number
  dbMs: number
}

export type Op = (template: Template) => Promise<Sent>

/** A variant's measurements summed over every round. */
export interface Totals {
  latencies: number[]
  statements: number
  dbMs: number
  errors: number
  elapsed: number
  cpuMs: number
  drift: number
  firstError: unknown
}

/** Where the measuring reports how far it is, and what tells it to stop early. */
export interface Watch {
  progress: Progress
  signal: AbortSignal
  log: (line: string) => void
}

/** Counts the statements `fn` sends in-process. */
export function counted(fn: (template: Template) => Promise<unknown>): Op {
  return async (template: Template) => {
    const stats = newQueryStats()
    await runWithQueryStats(stats, () => fn(template))
    return { statements: stats.count, dbMs: stats.durationMs }
  }
}

/**
 * Warms every variant up, then lets them take turns in short slices, so a busy neighbour or a
 * slowly filling table weighs on all of them alike instead of on whichever ran last.
 */
export async function measure(
  db: Db,
  locationId: number,
  ops: Partial<Record<Variant, Op>>,
  templates: Template[],
  options: Options,
  watch: Watch,
): Promise<Map<Variant, Totals>> {
  const { progress, signal } = watch
  const rounds = Math.max(1, options.rounds)
  const sliceMs = options.durationMs / rounds
  const totals = new Map<Variant, Totals>(
    options.variants.map((v) => [
      v,
      { latencies: [], statements: 0, dbMs: 0, errors: 0, elapsed: 0, cpuMs: 0, drift: 0, firstError: undefined },
    ]),
  )
  watch.log(
    `${options.variants.join(', ')}: ${options.warmupMs / 1000} s warm-up each, then ${rounds} round(s) of ${sliceMs / 1000} s each, ${options.clients} client(s)…`,
  )
  progress.phase('warming up')
  await vacuum(db, 'all')
  for (const variant of options.variants) {
    progress.detail(variant)
    if (options.warmupMs > 0) await drive(ops[variant]!, templates, options.clients, options.warmupMs, signal)
  }
  progress.phase(`measuring ${rounds} round(s)`)
  for (let r = 0; r < rounds && !signal.aborted; r++) {
    const order = options.variants.map((_, i) => options.variants[(i + r) % options.variants.length]!)
    for (const variant of order) {
      if (signal.aborted) break
      progress.detail(`round ${r + 1}/${rounds}, ${variant}`)
      await vacuum(db, 'hot')
      const driftBefore = await stockDrift(db, locationId)
      const outcome = await drive(ops[variant]!, templates, options.clients, sliceMs, signal)
      const total = totals.get(variant)!
      total.latencies.push(...outcome.latencies)
      total.statements += outcome.statements
      total.dbMs += outcome.dbMs
      total.errors += outcome.errors
      total.elapsed += outcome.elapsed
      total.cpuMs += outcome.cpuMs
      total.drift += (await stockDrift(db, locationId)) - driftBefore
      total.firstError ??= outcome.firstError
    }
  }
  return totals
}

const PAUSE_EVERY_MS = 50

/** Runs `op` from `clients` concurrent loops for `ms` or until `signal`; `op` resolves to the statements it sent. */
async function drive(op: Op, templates: Template[], clients: number, ms: number, signal: AbortSignal) {
  const latencies: number[] = []
  let statements = 0
  let dbMs = 0
  let errors = 0
  let firstError: unknown
  let next = 0
  const cpu = process.cpuUsage()
  const start = performance.now()
  const end = start + ms
  await Promise.all(
    Array.from({ length: clients }, async () => {
      let paused = start
      while (performance.now() < end && !signal.aborted) {
        // PGlite answers within the microtask queue: without a pause now and then, Ctrl+C and the
        // progress clock would wait for the end of the slice
        if (performance.now() - paused > PAUSE_EVERY_MS) {
          await new Promise(setImmediate)
          paused = performance.now()
        }
        const template = templates[next++ % templates.length]!
        const t0 = performance.now()
        try {
          // not `statements += await op()`: that reads `statements` before the await and loses updates
          const sent = await op(template)
          latencies.push(performance.now() - t0)
          statements += sent.statements
          dbMs += sent.dbMs
        } catch (error) {
          errors += 1
          firstError ??= error
        }
      }
    }),
  )
  const elapsed = performance.now() - start
  const used = process.cpuUsage(cpu)
  return { latencies, statements, dbMs, errors, elapsed, firstError, cpuMs: (used.user + used.system) / 1000 }
}

/**
 * Every slice starts from vacuumed hot rows: submits update the same stock and rollup rows over
 * and over, and without vacuum (autovacuum may be off or lagging) each slice would pay for the
 * dead row versions the slices before it left.
 */
async function vacuum(db: Db, scope: 'all' | 'hot'): Promise<void> {
  if (scope === 'all') {
    await sql`vacuum analyze stock_level, stock_ledger, location, product, sales_invoice, sales_invoice_line,
      sales_payment, sales_rollup_hour, sales_rollup_product_hour`.execute(db.primary)
  } else {
    // the rows every sale updates; the append-only tables need no vacuum between slices
    await sql`vacuum stock_level, location, sales_rollup_hour, sales_rollup_product_hour`.execute(db.primary)
  }
}

async function stockDrift(db: Db, locationId: number): Promise<number> {
  const { rows } = await sql<{ drift: string }>`
    select coalesce(sum(abs(s.quantity - coalesce(l.total, 0))), 0)::text as drift
    from stock_level s
    left join (select product_id, sum(delta) as total from stock_ledger where location_id = ${locationId} group by product_id) l
      on l.product_id = s.product_id
    where s.location_id = ${locationId}`.execute(db.primary)
  return Number(rows[0]?.drift ?? 0)
}
