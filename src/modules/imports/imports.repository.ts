/** The import_run statements: a run started or found again, moved forward with each chunk, finished. */
import { sql } from 'kysely'
import type { Executor } from '../../infra/db/database.ts'
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
  batchId: number
  options: Record<string, unknown>
}

export async function insertRun(db: Executor, run: NewRun): Promise<ImportRunRow> {
  const row = await db
    .insertInto('import_run')
    .values({
      kind: run.kind,
      source: run.source,
      fingerprint: run.fingerprint,
      chunk_size: run.chunkSize,
      status: 'running',
      batch_id: run.batchId,
      options: JSON.stringify(run.options),
    })
    .returning(RUN_COLUMNS)
    .executeTakeFirstOrThrow()
  return asRun(row)
}

/** A resumed run: running again, under the batch that continues it. */
export async function restartRun(db: Executor, id: number, batchId: number): Promise<void> {
  await db.updateTable('import_run').set({ status: 'running', batch_id: batchId, updated_at: sql`now()` }).where('id', '=', id).execute()
}

/**
 * Moves the run past one committed chunk: in the chunk's own transaction, so a resume skips exactly
 * what committed. Only from `from` rows: false when another process moved the run meanwhile.
 */
export async function advanceRun(db: Executor, id: number, chunk: { from: number; rows: number; written: number; rejected: number }): Promise<boolean> {
  const result = await db
    .updateTable('import_run')
    .set((eb) => ({
      rows_committed: eb('rows_committed', '+', chunk.rows),
      rows_written: eb('rows_written', '+', chunk.written),
      rows_rejected: eb('rows_rejected', '+', chunk.rejected),
      chunks: eb('chunks', '+', 1),
      updated_at: sql`now()`,
    }))
    .where('id', '=', id)
    .where('rows_committed', '=', chunk.from)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function finishRun(db: Executor, id: number, status: 'succeeded' | 'failed'): Promise<void> {
  await db.updateTable('import_run').set({ status, updated_at: sql`now()` }).where('id', '=', id).execute()
}
