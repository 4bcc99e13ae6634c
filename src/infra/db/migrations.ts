import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { type Kysely, sql } from 'kysely'
import type { Database } from './database.ts'

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../../migrations')

/** Any fixed number works; it only has to be the same for every Brisk process. */
const MIGRATION_LOCK_KEY = 7_263_540_111
const NAME_PATTERN = /^\d{4}_[a-z0-9_]+\.sql$/
const NO_TRANSACTION_HEADER = /^\s*--\s*brisk:no-transaction\b/

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
      transactional: !NO_TRANSACTION_HEADER.test(text),
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
  lockTimeout?: string
  onApplied?: (name: string, durationMs: number) => void
}

/**
 * Applies pending migrations in order. A session-level advisory lock makes a second process wait
 * instead of migrating at the same time; each file runs in its own transaction unless it opts out.
 * A file that changed after it was applied stops everything: history must not be rewritten.
 */
export async function migrate(db: Kysely<Database>, options: MigrateOptions = {}): Promise<string[]> {
  const files = readMigrationFiles(options.dir)
  const lockTimeout = options.lockTimeout ?? '5s'
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn)
    try {
      await ensureMigrationTable(conn)
      const statuses = compare(files, await appliedMigrations(conn))
      const changed = statuses.filter((s) => s.state === 'changed').map((s) => s.name)
      if (changed.length > 0) {
        throw new MigrationError(
          `Applied migration${changed.length > 1 ? 's' : ''} ${changed.join(', ')} changed since ${changed.length > 1 ? 'they were' : 'it was'} applied. ` +
            'Applied migrations are history: restore the file and put the change in a new migration.',
        )
      }
      const pending = new Set(statuses.filter((s) => s.state === 'pending').map((s) => s.name))
      const applied: string[] = []
      for (const file of files) {
        if (!pending.has(file.name)) continue
        const start = performance.now()
        try {
          if (file.transactional) {
            await conn.transaction().execute(async (trx) => {
              await sql`select set_config('lock_timeout', ${lockTimeout}, true)`.execute(trx)
              await sql.raw(file.sql).execute(trx)
              await recordApplied(trx, file, performance.now() - start)
            })
          } else {
            await sql`select set_config('lock_timeout', ${lockTimeout}, false)`.execute(conn)
            await sql.raw(file.sql).execute(conn)
            await recordApplied(conn, file, performance.now() - start)
          }
        } catch (error) {
          throw new MigrationError(`Migration ${file.name} failed: ${(error as Error).message}`)
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

async function recordApplied(db: Kysely<Database>, file: MigrationFile, durationMs: number): Promise<void> {
  await db
    .insertInto('brisk_migration')
    .values({ name: file.name, checksum: file.checksum, applied_at: new Date(), duration_ms: Math.round(durationMs) })
    .execute()
}
