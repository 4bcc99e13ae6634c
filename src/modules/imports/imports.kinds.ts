/**
 * What one kind of import (products, stock counts, views, scores) gives the import engine: how a
 * record becomes a row (or a reject naming the field), and how a chunk of rows is written.
 */
import type { RawBuilder, Transaction } from 'kysely'
import type { Database, Executor } from '../../infra/db/database.ts'
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
  /** what earlier chunks of this run looked up, for a kind that remembers lookups (views: products by SKU) */
  remembered?: Map<string, unknown>
}

export interface ChunkResult {
  /** rows written (inserted or changed) */
  written: number
  /** rows the lookups refused (unknown SKU, unit without conversion…) */
  rejects: Reject[]
  /** run by the engine once the chunk's transaction committed (say, evicting what it changed from the cache) */
  afterCommit?: (() => Promise<void>) | undefined
}

interface KindBase<Row> {
  name: ImportKindName
  /** The columns a CSV header must have (JSON Lines records have these keys); 'sku|productId' asks for either. */
  requiredFields: readonly string[]
  /**
   * Optional: checks and completes the options once, before anything is written (say, a stock
   * count's location code becomes its id); throws an AppError naming the option.
   */
  checkOptions?(db: Executor, options: Record<string, unknown>): Promise<Record<string, unknown>>
  /**
   * One record (a CSV row by its header, or a JSON Lines object) as a row, or why not — no database.
   * The engine tells a Reject by its keys line, field and message: a row must not have all three.
   */
  parse(record: Record<string, unknown>, line: number): Row | Reject
  /** chunks of this many rows unless the import says otherwise (default DEFAULT_CHUNK_SIZE) */
  defaultChunkSize?: number
}

/**
 * A kind writes a chunk in ONE statement — its CTEs, ending with `chunk_outcome` (one row:
 * `written` int, `rejects` a JSON array of Reject or null, and for a kind moving stock
 * `moved_products`, a JSON array of product ids, told to inventory's listeners after the commit), to which the engine adds the run's
 * advance — or, when it needs several, in the engine's short transaction: lookups pre-fetched in
 * one statement each, then the rows in a constant number of statements.
 */
export type ImportKind<Row> = StatementKind<Row> | TransactionKind<Row>

export interface StatementKind<Row> extends KindBase<Row> {
  chunkCtes(rows: readonly Numbered<Row>[], context: ChunkContext): RawBuilder<unknown>
  /** Optional: on PostgreSQL a large chunk is written by COPY instead, inside the engine's transaction (imports.engine.ts: COPY_FROM_ROWS). */
  copyChunk?(trx: Transaction<Database>, rows: readonly Numbered<Row>[], context: ChunkContext): Promise<ChunkResult>
}

export interface TransactionKind<Row> extends KindBase<Row> {
  writeChunk(trx: Transaction<Database>, rows: readonly Numbered<Row>[], context: ChunkContext): Promise<ChunkResult>
}
