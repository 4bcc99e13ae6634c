/**
 * The batch log: every batch operation (orders marked paid, orders imported, bulk ingestion …) is
 * one row, written 'running' when the batch starts and finished with its figures — rows that went
 * through and rows that did not (with their errors, capped), the statements it sent, how long it
 * took. Statements are counted with the request's query-stats scope (a CLI run gets one of its
 * own): the two log statements are counted too, so the figure is what the batch cost the database.
 */
import { performance } from 'node:perf_hooks'
import { Type } from 'typebox'
import type { Db } from '../db/database.ts'
import { currentQueryStats, newQueryStats, runWithQueryStats } from '../db/query-stats.ts'
import { AppError, notFound } from '../errors.ts'
import * as repo from './batch-log.repository.ts'
import { countBatchFinished, countBatchStarted } from './batch-metrics.ts'
import type { BatchStatus } from './batch-log.tables.ts'

export type { BatchAlongside } from './batch-log.repository.ts'

/** At most this many row errors are kept in a log row's detail; the rest are counted. */
export const MAX_LOGGED_ERRORS = 100

/** Why one row of a batch did not go through. */
export interface BatchRowError {
  /** the row's position in the batch, from 0 */
  row: number
  code: string
  message: string
  details?: unknown
}

/** A batch being run: the work adds each chunk's figures once that chunk has committed. */
export interface BatchRun {
  readonly id: number
  /** the id the start's `alongside` statement returned, if it had one */
  readonly alongsideId: number | null
  add(figures: { succeeded: number; errors?: readonly BatchRowError[]; chunks?: number }): void
  /** the rows the batch read, once known (a streamed import learns it as it goes) */
  setTotal(rows: number): void
  /** extra fields for the log row's detail (say, how many chunks were retried) */
  note(detail: Record<string, unknown>): void
}

export interface BatchLog {
  id: number
  operation: string
  status: BatchStatus
  rowsTotal: number
  rowsSucceeded: number
  rowsFailed: number
  statements: number
  tokenId: number | null
  detail: unknown
  source: string | null
  chunks: number
  databaseMs: number | null
  error: string | null
  resumed: boolean
  startedAt: string
  finishedAt: string | null
  durationMs: number | null
}

export interface BatchStart {
  /** e.g. 'orders.mark-paid' */
  operation: string
  tokenId: number | null
  rowsTotal: number
  /** where the rows came from: a file's name, 'http' */
  source?: string | undefined
  /** the batch continues an interrupted one */
  resumed?: boolean | undefined
  /** a row written in the batch's first statement (an import's run): its id is the run's alongsideId */
  alongside?: repo.BatchAlongside | undefined
}

export function batchStatusOf(figures: { succeeded: number; failed: number }): Exclude<BatchStatus, 'running'> {
  if (figures.failed === 0) return 'succeeded'
  return figures.succeeded === 0 ? 'failed' : 'partial'
}

function toBatchLog(row: repo.BatchLogRow): BatchLog {
  return {
    id: row.id,
    operation: row.operation,
    status: row.status,
    rowsTotal: row.rows_total,
    rowsSucceeded: row.rows_succeeded,
    rowsFailed: row.rows_failed,
    statements: row.statements,
    tokenId: row.token_id,
    detail: row.detail,
    source: row.source,
    chunks: Number(row.chunks),
    databaseMs: row.database_ms === null ? null : Number(row.database_ms),
    error: row.error,
    resumed: row.resumed,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
  }
}

/**
 * Runs `work` as a logged batch: a 'running' row first, then the figures the work added, its
 * statements and duration. When the work throws, the row is finished with what had committed
 * ('partial' or 'failed') and the error, and the error is thrown on.
 */
export async function runBatch<T>(db: Db, start: BatchStart, work: (run: BatchRun) => Promise<T>): Promise<{ result: T; log: BatchLog }> {
  const stats = currentQueryStats()
  if (!stats) return runWithQueryStats(newQueryStats(), () => runBatch(db, start, work))
  const firstStatement = stats.count
  const firstDatabaseMs = stats.durationMs
  const began = performance.now()
  const { id, alongsideId } = await repo.insertBatch(db.primary, start, start.alongside)
  countBatchStarted(db, start.operation)
  let succeeded = 0
  let failed = 0
  let chunks = 0
  let rowsTotal = start.rowsTotal
  const errors: BatchRowError[] = []
  let extra: Record<string, unknown> = {}
  const run: BatchRun = {
    id,
    alongsideId,
    add(figures) {
      succeeded += figures.succeeded
      failed += figures.errors?.length ?? 0
      chunks += figures.chunks ?? 0
      for (const e of figures.errors ?? []) if (errors.length < MAX_LOGGED_ERRORS) errors.push(e)
    },
    setTotal(rows) {
      rowsTotal = rows
    },
    note(detail) {
      extra = { ...extra, ...detail }
    },
  }
  const finish = (failure?: unknown) => {
    // rows the work never reached count as failed when it threw
    const unreached = failure === undefined ? 0 : Math.max(0, rowsTotal - succeeded - failed)
    const rowsFailed = failed + unreached
    // a batch that threw never counts as succeeded, even when it had not learnt its total (a stream)
    const status = batchStatusOf({ succeeded, failed: failure === undefined ? rowsFailed : Math.max(rowsFailed, 1) })
    countBatchFinished(db, start.operation, { status, succeeded, failed: rowsFailed })
    return repo.finishBatch(db.primary, id, {
      status,
      rowsSucceeded: succeeded,
      rowsFailed,
      // this finishing statement included
      statements: stats.count - firstStatement + 1,
      durationMs: performance.now() - began,
      rowsTotal,
      chunks,
      databaseMs: stats.durationMs - firstDatabaseMs,
      error: failure === undefined ? null : failureOf(failure).message,
      detail: {
        ...extra,
        errors,
        ...(failed > errors.length ? { errorsNotListed: failed - errors.length } : {}),
        ...(failure === undefined ? {} : { failure: failureOf(failure) }),
      },
    })
  }
  let result: T
  try {
    result = await work(run)
  } catch (error) {
    await finish(error ?? new Error('batch failed'))
    throw error
  }
  return { result, log: toBatchLog(await finish()) }
}

/** Closes a batch its process never finished (killed halfway) and another run continued. */
export async function abandonBatch(db: Db, id: number, continuedBy: number): Promise<void> {
  await repo.abandonBatch(db.primary, id, `interrupted; continued by batch ${continuedBy}`)
}

function failureOf(error: unknown) {
  if (error instanceof AppError) return { code: error.code, message: error.message }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) }
}

/** Who reads the log: everything, or only the batches one token ran. */
export type BatchLogReader = { all: true } | { tokenId: number | null }

const visibleTo = (reader: BatchLogReader) => ('all' in reader ? undefined : (reader.tokenId ?? -1))

export const MAX_BATCH_PAGE = 200

export async function listBatchLog(
  db: Db,
  reader: BatchLogReader,
  query: { operation?: string | undefined; before?: number | undefined; limit?: number | undefined },
): Promise<{ items: BatchLog[]; nextBefore: number | null }> {
  const limit = Math.min(query.limit ?? 50, MAX_BATCH_PAGE)
  const rows = await repo.listBatches(db.primary, { operation: query.operation, before: query.before, tokenId: visibleTo(reader), limit })
  return { items: rows.map(toBatchLog), nextBefore: rows.length === limit ? rows.at(-1)!.id : null }
}

/** One batch; a batch the reader may not see is not found, like one that does not exist. */
export async function getBatchLog(db: Db, reader: BatchLogReader, id: number): Promise<BatchLog> {
  const row = await repo.findBatch(db.primary, id)
  const tokenId = visibleTo(reader)
  if (!row || (tokenId !== undefined && row.token_id !== tokenId)) throw notFound('BATCH_NOT_FOUND', `No batch ${id}.`, { batchId: id })
  return toBatchLog(row)
}

const BatchRowErrorOutput = Type.Object({
  row: Type.Integer({ description: 'Position in the batch, from 0' }),
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Unknown()),
})

export const BatchLogOutput = Type.Object(
  {
    id: Type.Integer(),
    operation: Type.String(),
    status: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('partial'), Type.Literal('failed')]),
    rowsTotal: Type.Integer(),
    rowsSucceeded: Type.Integer(),
    rowsFailed: Type.Integer(),
    statements: Type.Integer({ description: 'SQL statements the batch sent, its two log statements included' }),
    tokenId: Type.Union([Type.Integer(), Type.Null()]),
    detail: Type.Unknown({ description: `Row errors (the first ${MAX_LOGGED_ERRORS}) and what else the operation reports` }),
    source: Type.Union([Type.String(), Type.Null()], { description: "Where the rows came from: a file's name, 'http'" }),
    chunks: Type.Integer({ description: 'Chunks committed, each its own short transaction' }),
    databaseMs: Type.Union([Type.Number(), Type.Null()], { description: 'Time spent awaiting the database' }),
    error: Type.Union([Type.String(), Type.Null()], { description: 'Why the batch failed' }),
    resumed: Type.Boolean({ description: 'The batch continued an interrupted one' }),
    startedAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    durationMs: Type.Union([Type.Number(), Type.Null()]),
  },
  { description: 'One batch operation as the batch log keeps it' },
)

export const BatchLogList = Type.Object({
  items: Type.Array(BatchLogOutput),
  nextBefore: Type.Union([Type.Integer(), Type.Null()], { description: 'Pass as `before` for the next (older) page; null on the last' }),
})

export { BatchRowErrorOutput }
