/** `brisk batches`: the batch log (imports, batch order operations), newest first, as a table or JSON. */
import type { Command } from 'commander'
import type { BatchLog } from '../infra/batch-log/batch-log.ts'
import { wholeNumber } from './arguments.ts'
import { curl, withDatabase } from './context.ts'

export interface BatchesOptions {
  operation?: string
  limit: number
  json?: boolean
}

const ms = (value: number | null) => (value === null ? '' : value.toFixed(0))

/** The log as a table: one batch a row, with its figures. */
export function batchesTable(batches: readonly BatchLog[]): string {
  if (batches.length === 0) return 'No batches.'
  const headers = ['id', 'started (UTC)', 'operation', 'status', 'source', 'rows', 'written', 'failed', 'chunks', 'statements', 'ms', 'db ms', 'resumed', 'error']
  const rows = batches.map((b) => [
    String(b.id),
    b.startedAt.slice(0, 19).replace('T', ' '),
    b.operation,
    b.status,
    b.source ?? '',
    String(b.rowsTotal),
    String(b.rowsSucceeded),
    String(b.rowsFailed),
    String(b.chunks),
    String(b.statements),
    ms(b.durationMs),
    ms(b.databaseMs),
    b.resumed ? 'yes' : '',
    (b.error ?? '').slice(0, 60),
  ])
  const right = new Set([0, 5, 6, 7, 8, 9, 10, 11])
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: string[]) => r.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

export function register(program: Command, summary: string): void {
  program
    .command('batches')
    .summary(summary)
    .description(`${summary} The same as GET /api/batches.`)
    .option('--operation <name>', "only this operation, e.g. 'import.stock' or 'orders.mark-paid'")
    .option('--limit <n>', 'at most this many batches (default 20)', wholeNumber(1, 200, 'a limit'), 20)
    .option('--json', 'print JSON instead of a table')
    .addHelpText('after', '\nExample:\n  brisk batches --operation import.views --limit 5 --json')
    .action(async (options: BatchesOptions) => {
      const { listBatchLog } = await import('../infra/batch-log/batch-log.ts')
      const page = await withDatabase((db) => listBatchLog(db, { all: true }, { operation: options.operation, limit: options.limit }), {
        whenLocked: { api: (url) => [curl('GET', `${url}/api/batches?limit=${options.limit}`)] },
      })
      console.log(options.json ? JSON.stringify(page, null, 2) : batchesTable(page.items))
    })
}
