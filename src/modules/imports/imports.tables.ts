import type { ColumnType, Generated } from 'kysely'

export const IMPORT_KINDS = ['products', 'stock', 'views', 'scores'] as const
export type ImportKindName = (typeof IMPORT_KINDS)[number]

type Count = ColumnType<number, number | undefined, number>

/** A resumable import: rows_committed moves forward in the same transaction as each chunk. */
export interface ImportRunTable {
  id: Generated<number>
  kind: ImportKindName
  /** the file's name, or 'http' */
  source: string
  /** SHA-256 of the input's first 64 KiB and its size: how a resume recognises its file */
  fingerprint: string | null
  chunk_size: number
  /** data rows (after a header) consumed by committed chunks: a resume skips these */
  rows_committed: Count
  rows_written: Count
  rows_rejected: Count
  chunks: Count
  status: 'running' | 'succeeded' | 'failed'
  batch_id: number | null
  options: unknown
  created_at: ColumnType<Date, Date | string | undefined, never>
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface ImportsTables {
  import_run: ImportRunTable
}
