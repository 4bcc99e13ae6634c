import type { ColumnType, Generated } from 'kysely'

export type BatchStatus = 'running' | 'succeeded' | 'partial' | 'failed'

type Count = ColumnType<number, number | undefined, number>

/** One run of a batch operation (orders marked paid, an import …): what, how many, how long. */
export interface BatchLogTable {
  id: Generated<number>
  /** e.g. 'orders.mark-paid', 'import.catalog' */
  operation: string
  status: BatchStatus
  rows_total: Count
  rows_succeeded: Count
  rows_failed: Count
  /** SQL statements the batch ran */
  statements: Count
  token_id: number | null
  /** per-row errors and anything else the operation reports */
  detail: unknown
  /** where the rows came from: a file's name, 'http' … */
  source: string | null
  chunks: Count
  /** time spent awaiting the database */
  database_ms: ColumnType<string | null, string | number | null | undefined, string | number | null>
  /** why a failed run failed */
  error: string | null
  /** true when the run continued an interrupted one */
  resumed: ColumnType<boolean, boolean | undefined, boolean>
  started_at: ColumnType<Date, Date | string | undefined, never>
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  duration_ms: ColumnType<string | null, string | number | null | undefined, string | number | null>
}

export interface BatchLogTables {
  batch_log: BatchLogTable
}
