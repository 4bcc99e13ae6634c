/**
 * Records the SQL text of repository statements, the way immich checks in its generated queries:
 * each repository function is called with placeholder arguments against a database that only
 * compiles (Kysely's DummyDriver), and every statement it sends is written out with its $n
 * placeholders. The checked-in `<name>.repository.sql` beside each repository is the reviewable
 * record; a changed statement shows in the diff.
 */
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type Transaction,
} from 'kysely'
import { countingDialect } from '../src/infra/db/counting-dialect.ts'
import type { Database, Executor } from '../src/infra/db/database.ts'
import { countQueries } from './expect-queries.ts'

export type SqlCase = (db: Executor, trx: Transaction<Database>) => Promise<unknown>

/** One repository: its file (relative to the project) and a case per statement, named `function` or `function: variant`. */
export interface RepositorySnapshot {
  file: string
  exports: Record<string, unknown>
  cases: Record<string, SqlCase>
}

const compileOnly = new Kysely<Database>({
  dialect: countingDialect({
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  }),
})

/** A statement's text with trailing blanks and its template's common indentation removed. */
function tidy(text: string): string {
  const lines = text.split('\n').map((line) => line.trimEnd())
  while (lines.length > 0 && lines[0] === '') lines.shift()
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  const indents = lines.slice(1).flatMap((line) => (line === '' ? [] : [line.length - line.trimStart().length]))
  const indent = Math.min(...indents, Number.POSITIVE_INFINITY)
  return [lines[0]!.trimStart(), ...lines.slice(1).map((line) => line.slice(Number.isFinite(indent) ? indent : 0))].join('\n')
}

const TRANSACTION_CONTROL = /^(begin|commit|rollback)$/

/** The snapshot file's text: every case's statements, in case order. */
export async function renderSnapshot(repository: RepositorySnapshot): Promise<string> {
  const parts = [`-- Generated from ${repository.file} by test/sql-snapshots.test.ts. Do not edit by hand.`]
  for (const [name, call] of Object.entries(repository.cases)) {
    const { stats } = await countQueries(() =>
      // the dummy driver returns no rows, so a function may fail after it sent its statement
      compileOnly.transaction().execute((trx) => call(compileOnly, trx).catch(() => undefined)),
    )
    const statements = (stats.statements ?? []).filter((s) => !TRANSACTION_CONTROL.test(s))
    if (statements.length === 0) throw new Error(`${repository.file}: case "${name}" sent no statement`)
    parts.push(`-- ${name}\n${statements.map((s) => `${tidy(s)};`).join('\n\n')}`)
  }
  return `${parts.join('\n\n')}\n`
}

/** Exported functions of the repository that no case names. */
export function functionsWithoutCase(repository: RepositorySnapshot): string[] {
  const named = new Set(Object.keys(repository.cases).map((name) => name.split(':')[0]!))
  return Object.entries(repository.exports)
    .filter(([name, value]) => typeof value === 'function' && !named.has(name))
    .map(([name]) => name)
}

/** A line diff (longest common subsequence), `-` for expected lines, `+` for actual ones. */
export function lineDiff(expected: string, actual: string): string {
  const a = expected.split('\n')
  const b = actual.split('\n')
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
    }
  }
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++
      j++
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      out.push(`- ${a[i++]}`)
    } else {
      out.push(`+ ${b[j++]}`)
    }
  }
  return out.join('\n')
}
