import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { type Kysely, sql, type Transaction } from 'kysely'
import type { Database } from './database.ts'
import { quoteIdent } from './migration-lint/ast.ts'
import { formatViolations } from './migration-lint/format.ts'
import { lintMigrations, type Violation } from './migration-lint/lint.ts'
import { runsInTransaction, type SqlStatement, splitSqlStatements } from './migration-lint/sql-source.ts'

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../../migrations')

/** Any fixed number works; it only has to be the same for every Brisk process. */
const MIGRATION_LOCK_KEY = 7_263_540_111
const NAME_PATTERN = /^\d{4}_[a-z0-9_]+\.sql$/
const LOCK_NOT_AVAILABLE = '55P03'

export interface MigrationFile {
  name: string
  path: string
  sql: string
  checksum: string
  /** false when the file starts with `-- brisk:no-transaction` (CREATE INDEX CONCURRENTLY). */
  transactional: boolean
}

export type MigrationState = 'applied' | 'pending' | 'changed' | 'missing'

export interface MigrationStatus {
  name: string
  state: MigrationState
  appliedAt: Date | undefined
}

export class MigrationError extends Error {}

export function checksumOf(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

export function readMigrationFiles(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  const names = fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .sort()
  const seenNumbers = new Set<string>()
  return names.map((name) => {
    if (!NAME_PATTERN.test(name)) {
      throw new MigrationError(`Migration file name "${name}" must look like 0001_snake_case_name.sql`)
    }
    const number = name.slice(0, 4)
    if (seenNumbers.has(number)) throw new MigrationError(`Two migration files share the number ${number}`)
    seenNumbers.add(number)
    const filePath = path.join(dir, name)
    const text = fs.readFileSync(filePath, 'utf8')
    return {
      name,
      path: filePath,
      sql: text,
      checksum: checksumOf(text),
      transactional: runsInTransaction(text),
    }
  })
}

async function ensureMigrationTable(db: Kysely<Database>): Promise<void> {
  await sql`create table if not exists brisk_migration (
    name text primary key,
    checksum text not null,
    applied_at timestamptz not null default now(),
    duration_ms integer not null
  )`.execute(db)
}

async function appliedMigrations(db: Kysely<Database>) {
  return db.selectFrom('brisk_migration').select(['name', 'checksum', 'applied_at']).orderBy('name').execute()
}

function compare(files: MigrationFile[], applied: { name: string; checksum: string; applied_at: Date }[]) {
  const appliedByName = new Map(applied.map((row) => [row.name, row]))
  const statuses: MigrationStatus[] = files.map((file) => {
    const row = appliedByName.get(file.name)
    if (!row) return { name: file.name, state: 'pending', appliedAt: undefined }
    return { name: file.name, state: row.checksum === file.checksum ? 'applied' : 'changed', appliedAt: row.applied_at }
  })
  const fileNames = new Set(files.map((f) => f.name))
  for (const row of applied) {
    if (!fileNames.has(row.name)) statuses.push({ name: row.name, state: 'missing', appliedAt: row.applied_at })
  }
  return statuses
}

export async function migrationStatus(db: Kysely<Database>, dir: string = MIGRATIONS_DIR): Promise<MigrationStatus[]> {
  await ensureMigrationTable(db)
  return compare(readMigrationFiles(dir), await appliedMigrations(db))
}

export interface MigrateOptions {
  dir?: string
  /** lock_timeout for each statement (default 5s); a timeout is retried with backoff. */
  lockTimeout?: string
  /** statement_timeout while migrating (default 0, none): the application's limit would cut a long CREATE INDEX CONCURRENTLY. */
  statementTimeout?: string
  /** Retries after a lock timeout before giving up (default 5). */
  lockRetries?: number
  /** First backoff delay; it doubles on every retry, with jitter, up to 30 s (default 500 ms). */
  retryDelayMs?: number
  /** Apply files even if the migration linter rejects them. */
  unsafe?: boolean
  onApplied?: (name: string, durationMs: number) => void
  onRetry?: (name: string, attempt: number, delayMs: number) => void
  /** With `unsafe`, receives the violations that were let through. */
  onLintViolations?: (violations: Violation[]) => void
}

const MAX_RETRY_DELAY_MS = 30_000

/**
 * Applies pending migrations in order. A session-level advisory lock makes a second process wait
 * instead of migrating at the same time; each file runs in its own transaction unless it opts out,
 * and then its statements run one by one (PostgreSQL runs a multi-statement string as one implicit
 * transaction, where CREATE INDEX CONCURRENTLY is refused). Pending files must pass the migration
 * linter unless `unsafe` is set. A file that changed after it was applied stops everything:
 * history must not be rewritten.
 */
export async function migrate(db: Kysely<Database>, options: MigrateOptions = {}): Promise<string[]> {
  const files = readMigrationFiles(options.dir)
  return db.connection().execute(async (conn) => {
    await waitForLock(async () => {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) as locked`.execute(conn)
      return rows[0]?.locked === true
    })
    try {
      await ensureMigrationTable(conn)
      const statuses = compare(files, await appliedMigrations(conn))
      throwIfHistoryChanged(statuses)
      const pending = files.filter((file) => statuses.some((s) => s.name === file.name && s.state === 'pending'))
      if (pending.length === 0) return []
      await checkLint(files, pending, options)
      const applied: string[] = []
      for (const file of pending) {
        const start = performance.now()
        try {
          if (file.transactional) await applyInTransaction(conn, file, options, start)
          else await applyStatementByStatement(conn, file, options, start)
        } catch (error) {
          if (error instanceof MigrationError) throw error
          throw new MigrationError(`Migration ${file.name} failed: ${(error as Error).message}`)
        } finally {
          // A plain SET inside a file outlives its transaction, and the connection goes back to the app.
          await sql`reset lock_timeout`.execute(conn).catch(() => {})
          await sql`reset statement_timeout`.execute(conn).catch(() => {})
        }
        const duration = performance.now() - start
        applied.push(file.name)
        options.onApplied?.(file.name, duration)
      }
      return applied
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn)
    }
  })
}

/**
 * Takes the migration lock until the caller's transaction ends, so work that must not overlap a
 * migration, or the same work in another process (seeding the demo shop), waits its turn.
 */
export async function holdMigrationLock(trx: Transaction<Database>): Promise<void> {
  await waitForLock(async () => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${MIGRATION_LOCK_KEY}) as locked`.execute(trx)
    return rows[0]?.locked === true
  })
}

/**
 * Waits for the migration lock by trying again and again rather than in one blocking call: a
 * session blocked in `pg_advisory_lock` holds its statement's snapshot for the whole wait, and a
 * CREATE INDEX CONCURRENTLY in the migrating process waits for every older snapshot, so each
 * would wait for the other (PostgreSQL aborts one as a deadlock). Between tries there is none.
 */
async function waitForLock(tryLock: () => Promise<boolean>): Promise<void> {
  for (let delayMs = 20; !(await tryLock()); delayMs = Math.min(delayMs * 2, 500)) {
    await new Promise((resolve) => setTimeout(resolve, delayMs))
  }
}

function throwIfHistoryChanged(statuses: MigrationStatus[]): void {
  const changed = statuses.filter((s) => s.state === 'changed').map((s) => s.name)
  if (changed.length === 0) return
  throw new MigrationError(
    `Applied migration${changed.length > 1 ? 's' : ''} ${changed.join(', ')} changed since ${changed.length > 1 ? 'they were' : 'it was'} applied. ` +
      'Applied migrations are history: restore the file and put the change in a new migration.',
  )
}

/** Lints every file for context (tables, deprecations) but judges only the pending ones. */
async function checkLint(files: MigrationFile[], pending: MigrationFile[], options: MigrateOptions): Promise<void> {
  const violations = await lintMigrations(files, { onlyFiles: pending.map((f) => f.name) })
  if (violations.length === 0) return
  if (options.unsafe) {
    options.onLintViolations?.(violations)
    return
  }
  throw new MigrationError(
    `Refusing to migrate: ${violations.length} migration lint violation(s). Fix them, add ` +
      '`-- brisk:allow <rule> because <reason>` to the statement, or run with --unsafe.\n\n' +
      formatViolations(violations),
  )
}

async function applyInTransaction(
  conn: Kysely<Database>,
  file: MigrationFile,
  options: MigrateOptions,
  start: number,
): Promise<void> {
  await retryOnLockTimeout(file.name, options, () =>
    conn.transaction().execute(async (trx) => {
      await setTimeouts(trx, options, true)
      await sql.raw(file.sql).execute(trx)
      await recordApplied(trx, file, performance.now() - start)
    }),
  )
}

/**
 * Outside a transaction only the statement that hit the lock timeout is retried: the ones before
 * it are committed already. A CREATE INDEX CONCURRENTLY that failed (here or in an earlier run)
 * leaves an invalid index that IF NOT EXISTS would silently keep, so it is dropped first.
 */
async function applyStatementByStatement(
  conn: Kysely<Database>,
  file: MigrationFile,
  options: MigrateOptions,
  start: number,
): Promise<void> {
  const statements = await splitSqlStatements(file.sql)
  await setTimeouts(conn, options, false)
  for (const statement of statements) {
    try {
      await retryOnLockTimeout(file.name, options, async () => {
        await dropInvalidIndexLeftBy(conn, statement)
        await sql.raw(statement.text).execute(conn)
      })
    } catch (error) {
      throw new MigrationError(`Migration ${file.name} failed at line ${statement.line}: ${(error as Error).message}`)
    }
  }
  await recordApplied(conn, file, performance.now() - start)
}

async function setTimeouts(db: Kysely<Database>, options: MigrateOptions, local: boolean): Promise<void> {
  const lockTimeout = options.lockTimeout ?? '5s'
  const statementTimeout = options.statementTimeout ?? '0'
  await sql`select set_config('lock_timeout', ${lockTimeout}, ${local}), set_config('statement_timeout', ${statementTimeout}, ${local})`.execute(
    db,
  )
}

function isLockTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === LOCK_NOT_AVAILABLE
}

/** Exponential backoff with jitter, so several deploying processes do not retry in step. */
async function retryOnLockTimeout<T>(name: string, options: MigrateOptions, run: () => Promise<T>): Promise<T> {
  const retries = options.lockRetries ?? 5
  const baseDelay = options.retryDelayMs ?? 500
  for (let attempt = 1; ; attempt++) {
    try {
      return await run()
    } catch (error) {
      if (!isLockTimeout(error) || attempt > retries) throw error
      const ceiling = Math.min(MAX_RETRY_DELAY_MS, baseDelay * 2 ** (attempt - 1))
      const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
      options.onRetry?.(name, attempt, delay)
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/** Drops the invalid index a failed CREATE INDEX CONCURRENTLY of this statement left behind, if any. */
async function dropInvalidIndexLeftBy(conn: Kysely<Database>, statement: SqlStatement): Promise<void> {
  const node = statement.node
  if (!('IndexStmt' in node) || !node.IndexStmt.concurrent || !node.IndexStmt.idxname) return
  const schema = node.IndexStmt.relation?.schemaname
  const name = `${schema ? `${quoteIdent(schema)}.` : ''}${quoteIdent(node.IndexStmt.idxname)}`
  const { rows } = await sql<{ valid: boolean }>`
    select indisvalid as valid from pg_index where indexrelid = to_regclass(${name})`.execute(conn)
  if (rows[0] && !rows[0].valid) await sql.raw(`drop index concurrently if exists ${name}`).execute(conn)
}

export interface PlannedMigration {
  name: string
  transactional: boolean
  statements: { line: number; text: string }[]
  violations: Violation[]
}

export interface MigrationPlan {
  pending: PlannedMigration[]
  /** Applied files whose content changed: `migrate` stops on them. */
  changed: string[]
  /** True when `migrate` without `unsafe` would refuse the pending files. */
  refusedByLint: boolean
}

/** What `migrate` would do, without running or recording anything (not even creating brisk_migration). */
export async function planMigrations(db: Kysely<Database>, options: { dir?: string } = {}): Promise<MigrationPlan> {
  const files = readMigrationFiles(options.dir)
  const { rows } = await sql<{ found: boolean }>`select to_regclass('brisk_migration') is not null as found`.execute(db)
  const applied = rows[0]?.found ? await appliedMigrations(db) : []
  const statuses = compare(files, applied)
  const pendingFiles = files.filter((file) => statuses.some((s) => s.name === file.name && s.state === 'pending'))
  const violations = await lintMigrations(files, { onlyFiles: pendingFiles.map((f) => f.name) })
  const pending: PlannedMigration[] = []
  for (const file of pendingFiles) {
    const statements = await splitSqlStatements(file.sql).catch(() => [])
    pending.push({
      name: file.name,
      transactional: file.transactional,
      statements: statements.map((s) => ({ line: s.line, text: s.text })),
      violations: violations.filter((v) => v.file === file.name),
    })
  }
  return {
    pending,
    changed: statuses.filter((s) => s.state === 'changed').map((s) => s.name),
    refusedByLint: violations.length > 0,
  }
}

export function formatMigrationPlan(plan: MigrationPlan): string {
  const lines: string[] = []
  if (plan.changed.length > 0) {
    lines.push(`Stop: ${plan.changed.join(', ')} changed since applied; migrate refuses to run until restored.`, '')
  }
  if (plan.pending.length === 0) {
    lines.push('Nothing to apply: the database is up to date.')
    return lines.join('\n')
  }
  lines.push(`Would apply ${plan.pending.length} migration(s), in this order:`)
  for (const file of plan.pending) {
    const mode = file.transactional ? 'one transaction' : 'no transaction: each statement on its own'
    lines.push('', `${file.name}  (${mode}, ${file.statements.length} statement(s))`)
    for (const statement of file.statements) {
      const firstLine = statement.text.split('\n')[0] ?? ''
      const more = statement.text.includes('\n') ? ' …' : ''
      lines.push(`  line ${statement.line}: ${firstLine}${more}`)
    }
  }
  const violations = plan.pending.flatMap((f) => f.violations)
  if (violations.length > 0) {
    lines.push('', `Refused by the migration linter (${violations.length} violation(s)); --unsafe applies anyway:`, '')
    lines.push(formatViolations(violations))
  }
  return lines.join('\n')
}

async function recordApplied(db: Kysely<Database>, file: MigrationFile, durationMs: number): Promise<void> {
  await db
    .insertInto('brisk_migration')
    .values({ name: file.name, checksum: file.checksum, applied_at: new Date(), duration_ms: Math.round(durationMs) })
    .execute()
}
