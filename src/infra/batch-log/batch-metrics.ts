/**
 * Batch figures for /metrics: rows that went through or failed and runs by how they ended, per
 * operation (`import.views`, `orders.mark-paid` …). Counted by runBatch as each batch finishes,
 * per database (like caches-of-database.ts), so every process reports the batches it ran; the
 * rate of `brisk_batch_rows_total` is the rows/s an operator graphs.
 */
import { Counter, Gauge } from 'prom-client'
import type { Metrics } from '../http/metrics.ts'
import type { BatchStatus } from './batch-log.tables.ts'

export interface BatchCounters {
  /** `operation` → rows that went through / failed */
  rows: Map<string, { succeeded: number; failed: number }>
  /** `operation` → status → batches that ended so */
  runs: Map<string, Map<Exclude<BatchStatus, 'running'>, number>>
  /** `operation` → batches running now */
  running: Map<string, number>
}

const countersOf = new WeakMap<object, BatchCounters>()

/** The batch counters of the process's database `db`. */
export function batchCountersOf(db: object): BatchCounters {
  let counters = countersOf.get(db)
  if (counters === undefined) {
    counters = { rows: new Map(), runs: new Map(), running: new Map() }
    countersOf.set(db, counters)
  }
  return counters
}

export function countBatchStarted(db: object, operation: string): void {
  const { running } = batchCountersOf(db)
  running.set(operation, (running.get(operation) ?? 0) + 1)
}

export function countBatchFinished(db: object, operation: string, figures: { status: Exclude<BatchStatus, 'running'>; succeeded: number; failed: number }): void {
  const counters = batchCountersOf(db)
  counters.running.set(operation, Math.max(0, (counters.running.get(operation) ?? 1) - 1))
  const rows = counters.rows.get(operation) ?? { succeeded: 0, failed: 0 }
  rows.succeeded += figures.succeeded
  rows.failed += figures.failed
  counters.rows.set(operation, rows)
  const runs = counters.runs.get(operation) ?? new Map()
  runs.set(figures.status, (runs.get(figures.status) ?? 0) + 1)
  counters.runs.set(operation, runs)
}

export function registerBatchMetrics(metrics: Metrics, db: object): void {
  const counters = batchCountersOf(db)
  const registers = [metrics.registry]
  new Counter({
    name: 'brisk_batch_rows_total',
    help: 'Rows of finished batches (imports, batch order operations) by operation and outcome (succeeded, failed); its rate is rows/s.',
    labelNames: ['operation', 'outcome'],
    registers,
    collect() {
      this.reset()
      for (const [operation, rows] of counters.rows) {
        this.inc({ operation, outcome: 'succeeded' }, rows.succeeded)
        this.inc({ operation, outcome: 'failed' }, rows.failed)
      }
    },
  })
  new Counter({
    name: 'brisk_batch_runs_total',
    help: 'Batches that ended, by operation and status: succeeded, partial (some rows failed) or failed (the batch stopped).',
    labelNames: ['operation', 'status'],
    registers,
    collect() {
      this.reset()
      for (const [operation, runs] of counters.runs) for (const [status, count] of runs) this.inc({ operation, status }, count)
    },
  })
  new Gauge({
    name: 'brisk_batch_running',
    help: 'Batches running in this process now, by operation.',
    labelNames: ['operation'],
    registers,
    collect() {
      this.reset()
      for (const [operation, count] of counters.running) this.set({ operation }, count)
    },
  })
}
