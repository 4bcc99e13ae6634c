/** The batch log's statements: a run started, finished, and read back. */
import { type RawBuilder, sql } from 'kysely'
import type { Executor } from '../db/database.ts'
import type { BatchStatus } from './batch-log.tables.ts'

export interface BatchLogRow {
  id: number
  operation: string
  status: BatchStatus
  rows_total: number
  rows_succeeded: number
  rows_failed: number
  statements: number
  token_id: number | null
  detail: unknown
  source: string | null
  chunks: number
  database_ms: string | null
  error: string | null
  resumed: boolean
  started_at: Date
  finished_at: Date | null
  duration_ms: string | null
}

/**
 * A 'running' row for a batch that starts now, and in the same statement the row the batch's own
 * bookkeeping needs (`alongside`: an insert or update returning its id, given the new batch's id).
 */
export async function insertBatch(
  db: Executor,
  run: { operation: string; tokenId: number | null; rowsTotal: number; source?: string | undefined; resumed?: boolean | undefined },
  alongside?: BatchAlongside,
): Promise<{ id: number; alongsideId: number | null }> {
  const insert = sql`insert into batch_log (operation, status, rows_total, token_id, source, resumed)
    values (${run.operation}, 'running', ${run.rowsTotal}, ${run.tokenId}, ${run.source ?? null}, ${run.resumed ?? false})
    returning id`
  const { rows } = alongside
    ? await sql<{ id: number; alongside_id: number | null }>`with batch as (${insert}), alongside as (${alongside(sql`(select id from batch)`)})
        select id, (select id from alongside) as alongside_id from batch`.execute(db)
    : await sql<{ id: number; alongside_id: null }>`${insert}`.execute(db)
  const row = rows[0]!
  return { id: Number(row.id), alongsideId: row.alongside_id == null ? null : Number(row.alongside_id) }
}

/** SQL returning one `id`, given an expression for the new batch's id. */
export type BatchAlongside = (batchId: RawBuilder<number>) => RawBuilder<{ id: number }>

export interface FinishedBatch {
  status: Exclude<BatchStatus, 'running'>
  rowsSucceeded: number
  rowsFailed: number
  statements: number
  durationMs: number
  detail: unknown
  rowsTotal?: number
  chunks?: number
  databaseMs?: number
  error?: string | null
}

/** The batch's figures, once it is done (or has failed). */
export async function finishBatch(db: Executor, id: number, done: FinishedBatch): Promise<BatchLogRow> {
  return db
    .updateTable('batch_log')
    .set({
      status: done.status,
      rows_succeeded: done.rowsSucceeded,
      rows_failed: done.rowsFailed,
      statements: done.statements,
      duration_ms: done.durationMs.toFixed(3),
      detail: JSON.stringify(done.detail),
      rows_total: done.rowsTotal,
      chunks: done.chunks,
      database_ms: done.databaseMs?.toFixed(3),
      error: done.error,
      finished_at: sql<Date>`clock_timestamp()`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow() as Promise<BatchLogRow>
}

export interface BatchLogFilter {
  operation?: string | undefined
  /** only the batches this token ran */
  tokenId?: number | undefined
  /** rows older than this id (keyset, newest first) */
  before?: number | undefined
  limit: number
}

export async function listBatches(db: Executor, filter: BatchLogFilter): Promise<BatchLogRow[]> {
  let query = db.selectFrom('batch_log').selectAll().orderBy('id', 'desc').limit(filter.limit)
  if (filter.operation !== undefined) query = query.where('operation', '=', filter.operation)
  if (filter.tokenId !== undefined) query = query.where('token_id', '=', filter.tokenId)
  if (filter.before !== undefined) query = query.where('id', '<', filter.before)
  return (await query.execute()) as BatchLogRow[]
}

export async function findBatch(db: Executor, id: number): Promise<BatchLogRow | undefined> {
  return (await db.selectFrom('batch_log').selectAll().where('id', '=', id).executeTakeFirst()) as BatchLogRow | undefined
}

/** A batch left 'running' by a process that died (kill -9): failed, naming the batch that took over. */
export async function abandonBatch(db: Executor, id: number, error: string): Promise<void> {
  await db
    .updateTable('batch_log')
    .set({ status: 'failed', error, finished_at: sql<Date>`clock_timestamp()` })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .execute()
}
