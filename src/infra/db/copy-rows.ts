/**
 * COPY … FROM STDIN through Kysely: a statement marked COPY_MARK whose one parameter is its data
 * (COPY's text format) is streamed by the PostgreSQL client (connect.ts) with pg-copy-streams,
 * inside whatever transaction the executor is — so a chunk's COPY commits with the rest of the
 * chunk, and is counted like any statement. PostgreSQL only: PGlite has no COPY from a client.
 */
import { type RawBuilder, sql } from 'kysely'
import type { Executor } from './database.ts'

export const COPY_MARK = '/* copy */'

/** The statement's text without the data's placeholder, when `text` is a marked COPY. */
export function copyStatementOf(text: string): string | undefined {
  if (!text.trimStart().startsWith(COPY_MARK)) return undefined
  return text.replace(/\s*\$1\s*$/, '')
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/

/** COPY's text format for one value: \N for null; backslash, tab and line breaks escaped. */
export function copyValue(value: string | number | null): string {
  if (value === null) return '\\N'
  return typeof value === 'number' ? String(value) : value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!)
}

/** One COPY line of `values`. */
export const copyLine = (values: readonly (string | number | null)[]): string => `${values.map(copyValue).join('\t')}\n`

/** Copies `data` (lines from copyLine) into `table`'s `columns`: every line, or the statement fails. */
export async function copyRows(db: Executor, table: string, columns: readonly string[], data: string): Promise<void> {
  for (const name of [table, ...columns]) if (!IDENTIFIER.test(name)) throw new Error(`copyRows: "${name}" is not a plain identifier`)
  const statement: RawBuilder<never> = sql`${sql.raw(`${COPY_MARK} copy ${table} (${columns.join(', ')}) from stdin`)} ${data}`
  await statement.execute(db)
}
