/**
 * `brisk import <kind> <file>`: a CSV or JSON Lines file streamed into the database in chunks, with a
 * progress line (rows/s, ETA) on a terminal and plain lines otherwise, a rejects file, and a summary
 * (a table or --json). Run again after an interruption, it continues where the last chunk committed.
 */
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Argument, type Command } from 'commander'
import { createProgress, type ProgressStream } from '../bench/progress.ts'
import type { Db } from '../infra/db/database.ts'
import type { CatalogCache } from '../modules/catalog/index.ts'
import type { ImportKindName, ImportProgress, ImportSummary, Reject } from '../modules/imports/index.ts'
import { parseLocationCode, wholeNumber } from './arguments.ts'
import { shellQuote, withServices } from './context.ts'
import { UsageError } from './errors.ts'

const KINDS: ImportKindName[] = ['products', 'stock', 'views', 'scores']

export interface ImportCliOptions {
  location?: string
  chunkSize?: number
  strict?: boolean
  resume?: number
  rejects?: string
  json?: boolean
}

/** A field for a CSV line: quoted when it needs to be. */
const csvField = (value: string | number) => (/[",\n\r]/.test(String(value)) ? `"${String(value).replaceAll('"', '""')}"` : String(value))

/** rows/s and the time left, from the bytes read of the file. */
export function progressText(progress: ImportProgress, elapsedMs: number, bytesRead: number, size: number): string {
  const rate = elapsedMs > 0 ? (progress.rowsRead * 1000) / elapsedMs : 0
  const share = size > 0 ? Math.min(1, bytesRead / size) : 0
  const left = share > 0 ? (elapsedMs * (1 - share)) / share / 1000 : Number.NaN
  const eta = Number.isFinite(left) ? `ETA ${left < 60 ? `${left.toFixed(0)} s` : `${(left / 60).toFixed(1)} min`}` : 'ETA ?'
  return `${progress.rowsRead.toLocaleString('en')} rows · ${Math.round(rate).toLocaleString('en')} rows/s · ${(share * 100).toFixed(0)}% · ${eta} · ${progress.rowsRejected} rejected`
}

/** Runs the import of `file` on `db`, reporting progress on `stream`; the rejects go to `options.rejects`. */
export async function importFileForCli(
  db: Db,
  kindName: string,
  file: string,
  options: ImportCliOptions,
  stream: ProgressStream = process.stderr,
  catalog?: CatalogCache,
): Promise<ImportSummary> {
  const { fingerprintFile, importKindOf, runImport } = await import('../modules/imports/index.ts')
  const kind = importKindOf(kindName, { catalog })
  if (kind.name === 'stock' && options.location === undefined && options.resume === undefined) {
    throw new UsageError('A stock count needs --location CODE: the location it was counted at.')
  }
  let size: number
  try {
    size = fs.statSync(file).size
  } catch {
    throw new UsageError(`No file ${file}.`)
  }
  const input = fs.createReadStream(file, { highWaterMark: 256 * 1024 })
  const rejectsOut = options.rejects === undefined ? undefined : fs.createWriteStream(options.rejects)
  rejectsOut?.write('line,field,why\n')
  const progress = createProgress(`import ${kind.name} ${path.basename(file)}`, stream)
  progress.phase('importing')
  const began = performance.now()
  let lastPlain = began
  try {
    return await runImport(db, kind, {
      source: path.basename(file),
      input,
      fingerprint: await fingerprintFile(file),
      chunkSize: options.chunkSize,
      strict: options.strict,
      resumeId: options.resume,
      options: options.location === undefined ? {} : { location: options.location },
      onProgress: (p) => {
        const now = performance.now()
        const line = progressText(p, now - began, input.bytesRead, size)
        if (stream.isTTY) progress.detail(line)
        else if (now - lastPlain >= 2000) {
          lastPlain = now
          stream.write(`${line}\n`)
        }
      },
      onRejects: async (rejects: readonly Reject[]) => {
        if (!rejectsOut) return
        const text = rejects.map((r) => `${r.line},${csvField(r.field)},${csvField(r.message)}\n`).join('')
        if (!rejectsOut.write(text)) await new Promise<void>((resolve) => rejectsOut.once('drain', () => resolve()))
      },
    })
  } finally {
    progress.stop()
    if (rejectsOut) await new Promise<void>((resolve) => rejectsOut.end(() => resolve()))
    input.destroy()
  }
}

/** The summary a person reads. */
export function summaryText(summary: ImportSummary, rejectsFile?: string): string {
  const lines = [
    `Imported ${summary.kind} (${summary.format}): ${summary.rowsRead} rows read, ${summary.rowsWritten} written, ${summary.rowsRejected} rejected, ` +
      `${summary.chunks} chunks${summary.resumed ? `, resumed after ${summary.rowsSkipped} rows` : ''}.`,
    `Batch ${summary.batchId} (import run ${summary.runId}): ${summary.batch.statements} statements, ${summary.batch.durationMs?.toFixed(0)} ms, ` +
      `${summary.batch.databaseMs?.toFixed(0)} ms in the database.`,
  ]
  if (summary.rejects.length > 0 && rejectsFile === undefined) {
    lines.push('Rejected rows (line, field, why; --rejects FILE lists them all):')
    lines.push(...summary.rejects.slice(0, 10).map((r) => `  ${r.line}  ${r.field}  ${r.message}`))
  } else if (rejectsFile !== undefined && summary.rowsRejected > 0) {
    lines.push(`The rejected rows are in ${rejectsFile}.`)
  }
  return lines.join('\n')
}

export function register(program: Command, summary: string): void {
  program
    .command('import')
    .summary(summary)
    .description(
      `${summary}\nThe file is CSV with a header, or JSON Lines (one object a line); it is streamed, written in chunks of ` +
        '--chunk-size rows, each its own short transaction. A bad row is rejected (line, field, why) and the rest go in, unless --strict. ' +
        'Interrupted (Ctrl+C, kill -9), the same command again continues after the last committed chunk.',
    )
    .addArgument(new Argument('<kind>', 'what the file holds').choices(KINDS))
    .argument('<file>', 'a CSV or JSON Lines file')
    .option('--location <code>', 'stock: the location the count was taken at', parseLocationCode)
    .option('--chunk-size <n>', 'rows per chunk (default 1000; 10000 for views)', wholeNumber(1, 100_000, 'a chunk size'))
    .option('--strict', 'stop at the first bad row; nothing from its chunk on is written')
    .option('--resume <id>', 'continue this import run (found by itself when the file is the same)', wholeNumber(1, Number.MAX_SAFE_INTEGER, 'an import run id'))
    .option('--rejects <file>', 'write the rejected rows there, as CSV: line, field, why')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nColumns:\n  products  sku, name, price, taxRate, baseUnit, category[, barcode, active, description, units="box12:12;pallet:480"]\n  stock   sku, quantity[, unit]  (an absolute count; the difference becomes one ledger movement)\n' +
        '  views   sku|productId, customerId?, sessionId?, source?, viewedAt?\n  scores  customerId, sku|productId, algorithm, score\n' +
        '\nExamples:\n  brisk import stock counts.csv --location MAIN --rejects rejects.csv\n  brisk import views views.jsonl --json',
    )
    .action(async (kind: string, file: string, options: ImportCliOptions) => {
      // the configured cache tiers: a products import evicts what it writes (through Redis, from the servers too)
      const summary = await withServices(async (services, db) => {
        const { catalogCacheOf } = await import('../modules/catalog/index.ts')
        return importFileForCli(db, kind, file, options, process.stderr, catalogCacheOf(services.cache, db))
      }, {
        migrate: true,
        whenLocked: {
          api: (url) => {
            const query = options.location ? `?location=${options.location}` : ''
            const type = /\.(jsonl|ndjson)$/i.test(file) ? 'application/x-ndjson' : 'text/csv'
            return [`curl -s -X POST ${shellQuote(`${url}/api/imports/${kind}${query}`)} -H "authorization: Bearer $ADMIN_TOKEN" -H 'content-type: ${type}' --data-binary @${shellQuote(file)}`]
          },
        },
      })
      console.log(options.json ? JSON.stringify(summary, null, 2) : summaryText(summary, options.rejects))
    })
}
