/**
 * What one kind of import (products, stock counts, views, scores) gives the import engine: how a
 * record becomes a row (or a reject naming the field), and how a chunk of rows is written.
 */
import type { Transaction } from 'kysely'
import type { Database } from '../../infra/db/database.ts'
import type { ImportKindName } from './imports.tables.ts'

/** A row the import refused: its line in the input (1 = the first data line), the field and why. */
export interface Reject {
  line: number
  field: string
  message: string
}

/** A parsed row with the line it came from. */
export interface Numbered<Row> {
  line: number
  row: Row
}

export interface ChunkContext {
  /** the token the import runs for (ledger rows, batch log); null for the CLI */
  tokenId: number | null
  /** the import run's id: a reference for ledger rows */
  runId: number
  /** options of this kind of import, as given (say, the location of a stock count) */
  options: Record<string, unknown>
}

export interface ChunkResult {
  /** rows written (inserted or changed) */
  written: number
  /** rows the lookups refused (unknown SKU, unit without conversion…) */
  rejects: Reject[]
}

export interface ImportKind<Row> {
  name: ImportKindName
  /** The columns a CSV header must have (JSON Lines records have these keys). */
  requiredFields: readonly string[]
  /** One record (a CSV row by its header, or a JSON Lines object) as a row, or why not — no database. */
  parse(record: Record<string, unknown>, line: number): Row | Reject
  /**
   * Writes one chunk in `trx` (the engine's short transaction, which also moves the run forward):
   * lookups pre-fetched in one statement each, then the rows in a constant number of statements.
   */
  writeChunk(trx: Transaction<Database>, rows: readonly Numbered<Row>[], context: ChunkContext): Promise<ChunkResult>
}
