/** The import_run statements: a run started or found again, moved forward with each chunk, finished. */
import { type RawBuilder, sql } from 'kysely'
import type { BatchAlongside } from '../../infra/batch-log/batch-log.ts'
import { abortStatement } from '../../infra/db/statement-abort.ts'
import type { Executor } from '../../infra/db/database.ts'
import type { Reject } from './imports.kinds.ts'
import type { ImportKindName, ImportRunTable } from './imports.tables.ts'

export interface ImportRunRow {
  id: number
  kind: ImportKindName
  source: string
  fingerprint: string | null
  chunk_size: number
  rows_committed: number
  rows_written: number
  rows_rejected: number
  chunks: number
  status: ImportRunTable['status']
  batch_id: number | null
  options: unknown
}

const RUN_COLUMNS = [
  'id',
  'kind',
  'source',
  'fingerprint',
  'chunk_size',
  'rows_committed',
  'rows_written',
  'rows_rejected',
  'chunks',
  'status',
  'batch_id',
  'options',
] as const

const asRun = (row: Record<string, unknown>): ImportRunRow => ({
  ...(row as unknown as ImportRunRow),
  id: Number(row['id']),
  rows_committed: Number(row['rows_committed']),
  rows_written: Number(row['rows_written']),
  rows_rejected: Number(row['rows_rejected']),
  chunks: Number(row['chunks']),
  batch_id: row['batch_id'] === null ? null : Number(row['batch_id']),
})

/** The newest unfinished run of this input, if an earlier one was interrupted. */
export async function findUnfinishedRun(db: Executor, kind: ImportKindName, fingerprint: string): Promise<ImportRunRow | undefined> {
  const row = await db
    .selectFrom('import_run')
    .select(RUN_COLUMNS)
    .where('kind', '=', kind)
    .where('fingerprint', '=', fingerprint)
    .where('status', '<>', 'succeeded')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row && asRun(row)
}

export async function findRun(db: Executor, id: number): Promise<ImportRunRow | undefined> {
  const row = await db.selectFrom('import_run').select(RUN_COLUMNS).where('id', '=', id).executeTakeFirst()
  return row && asRun(row)
}

export interface NewRun {
  kind: ImportKindName
  source: string
  fingerprint: string | null
  chunkSize: number
  options: Record<string, unknown>
}

/** A new run, written in its batch's first statement (see insertBatch's `alongside`). */
export const insertRunAlongside =
  (run: NewRun): BatchAlongside =>
  (batchId) => sql`insert into import_run (kind, source, fingerprint, chunk_size, status, batch_id, options)
    values (${run.kind}, ${run.source}, ${run.fingerprint}, ${run.chunkSize}, 'running', ${batchId}, ${JSON.stringify(run.options)})
    returning id`

/** An interrupted run running again under the batch that continues it, in that batch's first statement. */
export const restartRunAlongside =
  (id: number): BatchAlongside =>
  (batchId) => sql`update import_run set status = 'running', batch_id = ${batchId}, updated_at = now() where id = ${id} returning id`

export interface RunAdvance {
  id: number
  /** rows_committed the chunk starts from: the run moves only if no one else moved it */
  from: number
  /** records the chunk consumed, rejected ones included */
  rows: number
  /** records rejected before the database saw them */
  parseRejects: number
  /** 'succeeded' with the input's last chunk */
  status: 'running' | 'succeeded'
}

export interface ChunkOutcome {
  written: number
  rejects: Reject[] | null
  /** the products whose stock the chunk moved, for a kind that moves stock (its `moved_products` column) */
  movedProducts?: number[] | undefined
}

/** CTE fragments ending with `chunk_outcome`: one row of `written` (int) and `rejects` (a JSON array or null). */
export type ChunkCtes = RawBuilder<unknown>

/** A chunk whose rows were written by earlier statements of its transaction: its outcome as values. */
export const chunkOutcomeOf = (outcome: ChunkOutcome): ChunkCtes =>
  sql`chunk_outcome as (select ${outcome.written}::int as written, ${JSON.stringify(outcome.rejects ?? [])}::json as rejects)`

export const RUN_MOVED = 'IMPORTS_RUN_MOVED'

/**
 * The chunk (its CTEs) and the run moved past it, in ONE statement: a resume skips exactly what
 * committed. When another process moved the run meanwhile, the statement undoes itself
 * (isStatementAbort) and nothing of the chunk stays.
 */
export async function writeChunkAndAdvanceRun(db: Executor, chunk: ChunkCtes, run: RunAdvance): Promise<ChunkOutcome> {
  const { rows } = await sql<ChunkOutcome & { moved_products?: number[] | null }>`with ${chunk}, run_advanced as (
      update import_run set rows_committed = rows_committed + ${run.rows},
        rows_written = rows_written + (select written from chunk_outcome),
        rows_rejected = rows_rejected + ${run.parseRejects} + coalesce(json_array_length((select rejects from chunk_outcome)), 0),
        chunks = chunks + 1, status = ${run.status}, updated_at = now()
      where id = ${run.id} and rows_committed = ${run.from}
      returning 1
    )
    select o.*, (select ${abortStatement(RUN_MOVED)} where not exists (select 1 from run_advanced)) as run_moved
    from chunk_outcome o`.execute(db)
  const row = rows[0]!
  return { written: Number(row.written), rejects: row.rejects, movedProducts: row.moved_products ?? undefined }
}

/** A run that ends without a chunk to carry its status (an empty input, or one an earlier run had read whole), or fails. */
export async function finishRun(db: Executor, id: number, status: 'succeeded' | 'failed'): Promise<void> {
  await db.updateTable('import_run').set({ status, updated_at: sql`now()` }).where('id', '=', id).execute()
}
