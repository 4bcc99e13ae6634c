/**
 * The import engine: an input streamed record by record, parsed by its kind, and written in chunks,
 * each ONE statement (or one short transaction for a kind that needs several) that also moves the
 * import run forward — so a killed import resumed skips exactly the rows that committed. On
 * PostgreSQL the chunks go through the bulk pool, whose statements wait at most a short
 * lock_timeout for a row lock: the import yields to the tills, never the tills to the import.
 * Every import is a row of the batch log, its run written in the log row's statement.
 */
import type { Readable } from 'node:stream'
import { isStatementAbort } from '../../infra/db/statement-abort.ts'
import { abandonBatch, type BatchLog, type BatchRowError, runBatch } from '../../infra/batch-log/batch-log.ts'
import type { Db } from '../../infra/db/database.ts'
import { conflict, invalid, notFound } from '../../infra/errors.ts'
import type { CatalogCache } from '../catalog/index.ts'
import { notifyStockMoved } from '../inventory/index.ts'
import { detectFormat, type ImportFormat, peek, readRecords } from './imports.input.ts'
import type { ChunkContext, ChunkResult, ImportKind, Numbered, Reject } from './imports.kinds.ts'
import type { Transaction } from 'kysely'
import type { Database } from '../../infra/db/database.ts'
import * as repo from './imports.repository.ts'
import type { RunAdvance } from './imports.repository.ts'
import { productsKindWith } from './imports.products.ts'
import { scoresKind } from './imports.scores.ts'
import { stockKind } from './imports.stock.ts'
import type { ImportKindName } from './imports.tables.ts'
import { viewsKind } from './imports.views.ts'

// biome-ignore lint/suspicious/noExplicitAny: each kind has its own row type; the engine only passes rows through
type AnyKind = ImportKind<any>

/** What a kind may need of the process running it. */
export interface KindDependencies {
  /** the process's catalog cache tiers: a products import evicts what it writes from them */
  catalog?: CatalogCache | undefined
}

/** The kinds an import can be of, each made for the process that runs it; a kind is one line here. */
export const importKinds: Partial<Record<ImportKindName, (deps: KindDependencies) => AnyKind>> = {
  products: (deps) => productsKindWith(deps.catalog),
  stock: () => stockKind,
  views: () => viewsKind,
  scores: () => scoresKind,
}

export const DEFAULT_CHUNK_SIZE = 1000
export const MAX_CHUNK_SIZE = 100_000
/** Rejects kept in the summary; all of them go to onRejects. */
export const LISTED_REJECTS = 100

export interface ImportProgress {
  /** data rows read so far, those a resume skipped included */
  rowsRead: number
  rowsWritten: number
  rowsRejected: number
  chunks: number
}

export interface ImportRequest {
  /** a file's name, or 'http' */
  source: string
  input: Readable | AsyncIterable<Buffer | string>
  /** what the sender said the input is (an HTTP content type) */
  format?: ImportFormat | undefined
  /** of the input, for resuming: see fingerprintFile */
  fingerprint?: string | null | undefined
  chunkSize?: number | undefined
  strict?: boolean | undefined
  /** continue this import run */
  resumeId?: number | undefined
  tokenId?: number | null | undefined
  /** the kind's options (a stock count's location) */
  options?: Record<string, unknown> | undefined
  onProgress?: ((progress: ImportProgress) => void) | undefined
  /** every reject, chunk by chunk, as soon as its chunk has committed (or a strict import stops) */
  onRejects?: ((rejects: readonly Reject[]) => void | Promise<void>) | undefined
}

export interface ImportSummary {
  batchId: number
  runId: number
  kind: ImportKindName
  format: ImportFormat
  resumed: boolean
  /** rows an earlier, interrupted run had committed and this one skipped */
  rowsSkipped: number
  /** over the whole run, the interrupted part included */
  rowsRead: number
  rowsWritten: number
  rowsRejected: number
  chunks: number
  /** the first rejects of this run */
  rejects: Reject[]
  batch: BatchLog
}

export function importKindOf(name: string, deps: KindDependencies = {}): AnyKind {
  const make = importKinds[name as ImportKindName]
  if (!make) throw notFound('IMPORTS_UNKNOWN_KIND', `No import of kind "${name}" (kinds: ${Object.keys(importKinds).join(', ')}).`, { kind: name })
  return make(deps)
}

function chunkSizeOf(value: number | undefined, kind: AnyKind): number {
  const size = value ?? kind.defaultChunkSize ?? DEFAULT_CHUNK_SIZE
  if (!Number.isInteger(size) || size < 1 || size > MAX_CHUNK_SIZE) {
    throw invalid('IMPORTS_INVALID_CHUNK_SIZE', `chunkSize: a whole number from 1 to ${MAX_CHUNK_SIZE}.`, { field: 'chunkSize' })
  }
  return size
}

/** The interrupted run this import continues, if any. */
async function runToResume(db: Db, kind: AnyKind, request: ImportRequest): Promise<repo.ImportRunRow | undefined> {
  if (request.resumeId !== undefined) {
    const run = await repo.findRun(db.primary, request.resumeId)
    if (!run || run.kind !== kind.name) throw notFound('IMPORTS_RUN_NOT_FOUND', `No ${kind.name} import ${request.resumeId} to resume.`, { resume: request.resumeId })
    if (run.status === 'succeeded') throw conflict('IMPORTS_RUN_FINISHED', `Import ${run.id} has finished already.`, { resume: run.id })
    if (request.fingerprint && run.fingerprint && run.fingerprint !== request.fingerprint) {
      throw conflict('IMPORTS_RESUME_OTHER_INPUT', `Import ${run.id} read another input: resume it with the same file.`, { resume: run.id })
    }
    return run
  }
  return request.fingerprint ? repo.findUnfinishedRun(db.primary, kind.name, request.fingerprint) : undefined
}

const asBatchErrors = (rejects: readonly Reject[]): BatchRowError[] =>
  rejects.map((r) => ({ row: r.line - 1, code: 'IMPORTS_REJECTED_ROW', message: `line ${r.line}, ${r.field}: ${r.message}`, details: r }))

function strictStop(reject: Reject) {
  return invalid(
    'IMPORTS_STRICT_REJECT',
    `Line ${reject.line}, ${reject.field}: ${reject.message}. A strict import stops at the first bad row; nothing from its chunk on was written.`,
    reject,
  )
}

/** The executor an import writes with: PostgreSQL's bulk pool (short lock waits), else the primary. */
const writerOf = (db: Db) => db.bulk ?? db.primary

/**
 * On PostgreSQL a chunk of this many rows or more goes by COPY when its kind can: fewer round trips
 * win below it (one statement), PostgreSQL's cheapest way in wins above it.
 */
export const COPY_FROM_ROWS = 2000

type RowsWriter = (trx: Transaction<Database>, rows: readonly Numbered<unknown>[], context: ChunkContext) => Promise<ChunkResult>

/** How a chunk's rows are written inside a transaction, or undefined for the kind's one statement. */
function transactionWriterOf(db: Db, kind: AnyKind, rows: readonly Numbered<unknown>[]): RowsWriter | undefined {
  if ('writeChunk' in kind) return kind.writeChunk.bind(kind)
  if (kind.copyChunk && db.kind === 'postgres' && rows.length >= COPY_FROM_ROWS) return kind.copyChunk.bind(kind)
  return undefined
}

/**
 * Writes one chunk and moves the run past it, atomically: ONE statement for a kind that writes in
 * one, else a short transaction (several statements, or COPY). The input's last chunk also marks
 * the run succeeded. A strict import's chunk is a transaction whose first reject rolls it back.
 */
async function writeChunk(db: Db, kind: AnyKind, chunk: Chunk, run: RunAdvance, context: ChunkContext, strict: boolean): Promise<ChunkResult> {
  const rows = chunk.rows
  const writeRows = transactionWriterOf(db, kind, rows)
  try {
    if (!writeRows && !strict && 'chunkCtes' in kind) {
      const outcome = await repo.writeChunkAndAdvanceRun(writerOf(db), kind.chunkCtes(rows, context), run)
      return { written: outcome.written, rejects: outcome.rejects ?? [], afterCommit: tellStockMoved(db, outcome) }
    }
    let afterCommit: ChunkResult['afterCommit']
    const outcome = await writerOf(db)
      .transaction()
      .execute(async (trx) => {
        let result: Awaited<ReturnType<typeof repo.writeChunkAndAdvanceRun>>
        if (writeRows) {
          const written = rows.length > 0 ? await writeRows(trx, rows, context) : { written: 0, rejects: [] }
          afterCommit = written.afterCommit
          result = await repo.writeChunkAndAdvanceRun(trx, repo.chunkOutcomeOf(written), run)
        } else {
          result = await repo.writeChunkAndAdvanceRun(trx, (kind as StatementKind).chunkCtes(rows, context), run)
          afterCommit = tellStockMoved(db, result)
        }
        const first = result.rejects?.[0]
        if (strict && first) throw strictStop(first)
        return result
      })
    return { written: outcome.written, rejects: outcome.rejects ?? [], afterCommit }
  } catch (error) {
    if (isStatementAbort(error)) throw conflict(repo.RUN_MOVED, `Import ${run.id} was moved on by another process: it is not resumed twice at once.`, { runId: run.id })
    throw error
  }
}

type StatementKind = Extract<AnyKind, { chunkCtes: unknown }>

/** A stock-moving chunk's products, told after its commit (the storefront's stock badges): ids its statement returned. */
function tellStockMoved(db: Db, outcome: repo.ChunkOutcome): ChunkResult['afterCommit'] {
  const moved = outcome.movedProducts
  return moved && moved.length > 0 ? async () => notifyStockMoved(db, moved) : undefined
}

/** Runs one import to its end (or its first failure), chunk by chunk; see the file's comment. */
export async function runImport(db: Db, kind: AnyKind, request: ImportRequest): Promise<ImportSummary> {
  const chunkSize = chunkSizeOf(request.chunkSize, kind)
  const { head, all } = await peek(request.input)
  const format = detectFormat(head, kind.requiredFields, request.format)
  const previous = await runToResume(db, kind, request)
  const options = previous ? (previous.options as Record<string, unknown>) : kind.checkOptions ? await kind.checkOptions(db.primary, request.options ?? {}) : (request.options ?? {})
  const tokenId = request.tokenId ?? null
  const newRun = { kind: kind.name, source: request.source, fingerprint: request.fingerprint ?? null, chunkSize, options }
  const { result, log } = await runBatch(
    db,
    {
      operation: `import.${kind.name}`,
      tokenId,
      rowsTotal: 0,
      source: request.source,
      resumed: previous !== undefined,
      alongside: previous ? repo.restartRunAlongside(previous.id) : repo.insertRunAlongside(newRun),
    },
    async (batch) => {
      const runId = batch.alongsideId!
      if (previous?.batch_id != null && previous.status === 'running') await abandonBatch(db, previous.batch_id, batch.id)
      const committed = previous?.rows_committed ?? 0
      const figures = { rowsRead: committed, rowsWritten: previous?.rows_written ?? 0, rowsRejected: previous?.rows_rejected ?? 0, chunks: previous?.chunks ?? 0 }
      const listed: Reject[] = []
      const context: ChunkContext = { tokenId, runId, options, remembered: new Map() }
      const report = async (rejects: readonly Reject[]) => {
        if (rejects.length === 0) return
        for (const r of rejects) if (listed.length < LISTED_REJECTS) listed.push(r)
        await request.onRejects?.(rejects)
      }
      const write = async (chunk: Chunk, last: boolean) => {
        const advance = { id: runId, from: figures.rowsRead, rows: chunk.records, parseRejects: chunk.parseRejects.length, status: last ? 'succeeded' : 'running' } as const
        const result = await writeChunk(db, kind, chunk, advance, context, request.strict === true)
        await result.afterCommit?.()
        const rejects = [...chunk.parseRejects, ...result.rejects].sort((a, b) => a.line - b.line)
        await report(rejects)
        batch.add({ succeeded: result.written, errors: asBatchErrors(rejects), chunks: 1 })
        figures.rowsRead += chunk.records
        figures.rowsWritten += result.written
        figures.rowsRejected += rejects.length
        figures.chunks += 1
        batch.setTotal(figures.rowsRead - committed)
        request.onProgress?.({ ...figures })
      }

      // One chunk is written while the next is read and parsed: never more than one in flight, so
      // chunks commit in input order and the run moves forward one chunk at a time. A full chunk
      // leaves once the next record shows it is not the last: the last one marks the run succeeded.
      let chunk = newChunk()
      let writing: Promise<void> | undefined
      const handOver = async (last: boolean) => {
        const full = chunk
        chunk = newChunk()
        if (writing) await writing
        writing = write(full, last)
        writing.catch(() => {}) // its failure surfaces at the next await of `writing`
      }
      try {
        for await (const item of readRecords(format, all, committed)) {
          if (chunk.records >= chunkSize) await handOver(false)
          chunk.records += 1
          const parsed = 'reject' in item ? item.reject : kind.parse(item.record, item.line)
          if (!isReject(parsed)) chunk.rows.push({ line: item.line, row: parsed })
          else if (!request.strict) chunk.parseRejects.push(parsed)
          else {
            if (writing) await writing
            await report([parsed])
            throw strictStop(parsed)
          }
        }
        if (chunk.records > 0) await handOver(true)
        else await repo.finishRun(writerOf(db), runId, 'succeeded')
        if (writing) await writing
      } catch (error) {
        // the chunk in flight commits or fails before the run is marked failed
        await writing?.catch(() => {})
        await repo.finishRun(writerOf(db), runId, 'failed')
        throw error
      }
      batch.note({ kind: kind.name, format, runId, chunkSize })
      return { runId, figures, listed }
    },
  )
  return {
    batchId: log.id,
    runId: result.runId,
    kind: kind.name,
    format,
    resumed: previous !== undefined,
    rowsSkipped: previous?.rows_committed ?? 0,
    ...result.figures,
    rejects: result.listed,
    batch: log,
  }
}

interface Chunk {
  /** records read, rejected ones included: what the run moves forward by */
  records: number
  rows: Numbered<unknown>[]
  parseRejects: Reject[]
}

const newChunk = (): Chunk => ({ records: 0, rows: [], parseRejects: [] })

function isReject(value: unknown): value is Reject {
  return typeof value === 'object' && value !== null && 'line' in value && 'field' in value && 'message' in value
}
