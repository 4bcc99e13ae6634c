/**
 * Database setup for tests. Every database test runs against embedded PGlite and, when
 * BRISK_TEST_DATABASE_URL is set, against that PostgreSQL too (a fresh database per test file).
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, beforeEach, describe } from 'node:test'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'kysely'
import pg from 'pg'
import { connectPostgres, wrapPglite } from '../src/infra/db/connect.ts'
import type { DatabaseKind, Db } from '../src/infra/db/database.ts'
import { checksumOf, migrate, readMigrationFiles } from '../src/infra/db/migrations.ts'
import { pgliteParsers } from '../src/infra/db/type-parsers.ts'
import { forgetCachedEntriesOf } from '../src/infra/cache/caches-of-database.ts'
import { tempFolderWith } from './temp-folder.ts'

export const testDatabaseUrl = process.env['BRISK_TEST_DATABASE_URL'] || undefined

/**
 * A migrated PostgreSQL database that scripts/run-tests.mjs creates once per run (see
 * createTemplateDatabase): each test file clones it instead of migrating a database of its own.
 * A test file run on its own, without it, creates and migrates its database itself.
 */
export const templateDatabase = process.env['BRISK_TEST_TEMPLATE_DATABASE'] || undefined

export function databaseKinds(): DatabaseKind[] {
  return testDatabaseUrl ? ['pglite', 'postgres'] : ['pglite']
}

/**
 * Creating a PGlite instance runs initdb (~2 s). A migrated data folder is dumped once per set of
 * migrations and loaded by every test file, which is several times faster.
 */
export async function pgliteTemplate(through?: string): Promise<Blob> {
  const key = checksumOf(migrationList(through)).slice(0, 16)
  const file = path.join(os.tmpdir(), `brisk-pglite-template-${key}.tar`)
  if (!fs.existsSync(file)) {
    const pglite = await PGlite.create({ parsers: pgliteParsers })
    const db = wrapPglite(pglite, 'template')
    await migrate(db.primary, { dir: migrationsDir(through) })
    const dump = await pglite.dumpDataDir('none')
    await db.close()
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()))
    fs.renameSync(tmp, file)
  }
  // Backed by the file rather than read into memory: the dump is ~40 MB, loaded by every test file.
  return fs.openAsBlob(file)
}

/** The project's migrations, or those up to `through` (a file name) for a database an earlier release left. */
function migrationFiles(through?: string) {
  const files = readMigrationFiles()
  if (through === undefined) return files
  const last = files.findIndex((f) => f.name === through)
  if (last < 0) throw new Error(`No migration ${through}`)
  return files.slice(0, last + 1)
}

/** A folder of the migrations up to `through`, for migrate(); undefined (the project's folder) for all. */
function migrationsDir(through?: string): string | undefined {
  if (through === undefined) return undefined
  return tempFolderWith('brisk-migrations-', Object.fromEntries(migrationFiles(through).map((f) => [f.name, f.sql])))
}

/** The migrations (see migrationFiles), one `name checksum` line each. */
function migrationList(through?: string): string {
  return migrationFiles(through)
    .map((f) => `${f.name} ${f.checksum}`)
    .join('\n')
}

/**
 * A database loaded from the PGlite dump or cloned from the template holds these very migrations,
 * so one query checks it; migrate() runs only if that check fails (and then applies or refuses).
 */
async function migrateUnlessCurrent(db: Db, through?: string): Promise<void> {
  const { rows } = await sql<{ name: string; checksum: string }>`
    select name, checksum from brisk_migration order by name`.execute(db.primary)
  if (rows.map((r) => `${r.name} ${r.checksum}`).join('\n') !== migrationList(through)) {
    await migrate(db.primary, { dir: migrationsDir(through) })
  }
}

function postgresUrl(database: string): string {
  if (!testDatabaseUrl) throw new Error('BRISK_TEST_DATABASE_URL is not set')
  const url = new URL(testDatabaseUrl)
  url.pathname = `/${database}`
  return url.toString()
}

async function onServer(run: (admin: pg.Client) => Promise<unknown>): Promise<void> {
  const admin = new pg.Client({ connectionString: testDatabaseUrl })
  await admin.connect()
  try {
    await run(admin)
  } finally {
    await admin.end()
  }
}

/** Creates and migrates the template database `name`; run once per run, before the test files start. */
export async function createTemplateDatabase(name: string): Promise<void> {
  const url = postgresUrl(name)
  await onServer((admin) => admin.query(`create database ${name}`))
  const db = connectPostgres({ url, poolSize: 1, statementTimeoutMs: 0 })
  try {
    await migrate(db.primary)
  } finally {
    await db.close()
  }
}

export interface TestDbOptions {
  /** The last migration to apply (a file name): the schema an earlier release ran on. Default: all of them. */
  migratedThrough?: string
}

export async function openTestDb(kind: DatabaseKind, options: TestDbOptions = {}): Promise<Db> {
  const through = options.migratedThrough
  if (kind === 'pglite') {
    const pglite = await PGlite.create({ parsers: pgliteParsers, loadDataDir: await pgliteTemplate(through) })
    const db = wrapPglite(pglite, 'test PGlite')
    await migrateUnlessCurrent(db, through)
    return db
  }
  // the template holds every migration: a database of fewer is migrated here
  const template = through === undefined ? templateDatabase : undefined
  // Named after the template, so that run-tests.mjs finds and drops whatever a crashed file left.
  const name = `${templateDatabase ?? 'brisk_test'}_${process.pid}_${randomBytes(4).toString('hex')}`
  const url = postgresUrl(name)
  // CREATE DATABASE … TEMPLATE needs the template free of sessions; its creator has exited by now.
  await onServer((admin) => admin.query(`create database ${name}${template ? ` template ${template}` : ''}`))
  const db = connectPostgres({ url, poolSize: 12, statementTimeoutMs: 30_000 })
  if (template) await migrateUnlessCurrent(db)
  else await migrate(db.primary, { dir: migrationsDir(through) })
  return {
    ...db,
    close: async () => {
      await db.close()
      await onServer((admin) => admin.query(`drop database if exists ${name} with (force)`))
    },
  }
}

/**
 * Empties every table but the migration history, and restarts identities, as TRUNCATE … RESTART
 * IDENTITY would. DELETE rather than TRUNCATE because a test leaves a few rows, and TRUNCATE gives
 * every table and index a new file: 30 to 200 ms per test on PostgreSQL here, against ~5 ms.
 * Referencing tables are emptied before the tables they reference.
 */
export async function resetDb(db: Db): Promise<void> {
  forgetCachedEntriesOf(db)
  const { rows: tables } = await sql<{ name: string }>`
    select oid::regclass::text as name from pg_class
    where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and relname <> 'brisk_migration'`.execute(db.primary)
  const { rows: references } = await sql<{ child: string; parent: string }>`
    select conrelid::regclass::text as child, confrelid::regclass::text as parent from pg_constraint
    where contype = 'f' and conrelid <> confrelid`.execute(db.primary)
  const left = new Set(tables.map((t) => t.name))
  const order: string[] = []
  while (left.size > 0) {
    const next = [...left].find((name) => !references.some((r) => r.parent === name && left.has(r.child)))
    if (next === undefined) {
      // Foreign keys in a cycle: no order works for DELETE.
      await sql.raw(`truncate ${tables.map((t) => t.name).join(', ')} restart identity cascade`).execute(db.primary)
      return
    }
    order.push(next)
    left.delete(next)
  }
  await db.primary.transaction().execute(async (trx) => {
    for (const name of order) await sql.raw(`delete from ${name}`).execute(trx)
    await sql`
      select setval(s.seqrelid, s.seqstart, false) from pg_sequence s
      join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = s.seqrelid and d.deptype in ('a', 'i')
      join pg_class t on t.oid = d.refobjid
      where t.relnamespace = 'public'::regnamespace and t.relname <> 'brisk_migration'`.execute(trx)
  })
}

export interface DbContext {
  readonly db: Db
  readonly kind: DatabaseKind
}

/**
 * Declares `fn`'s tests once per database kind. The database is opened once per kind and file,
 * and emptied before every test.
 */
export function describeEachDatabase(name: string, fn: (ctx: DbContext) => void, options: TestDbOptions = {}): void {
  for (const kind of databaseKinds()) {
    describe(`${name} [${kind}]`, () => {
      let db: Db | undefined
      const ctx: DbContext = {
        kind,
        get db(): Db {
          if (!db) throw new Error('database not open yet')
          return db
        },
      }
      before(async () => {
        db = await openTestDb(kind, options)
      })
      after(async () => {
        await db?.close()
      })
      beforeEach(async () => {
        if (db) await resetDb(db)
      })
      fn(ctx)
    })
  }
}
