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

export const testDatabaseUrl = process.env['BRISK_TEST_DATABASE_URL'] || undefined

export function databaseKinds(): DatabaseKind[] {
  return testDatabaseUrl ? ['pglite', 'postgres'] : ['pglite']
}

/**
 * Creating a PGlite instance runs initdb (~2 s). A migrated data folder is dumped once per set of
 * migrations and loaded by every test file, which is several times faster.
 */
async function pgliteTemplate(): Promise<Blob> {
  const key = checksumOf(readMigrationFiles().map((f) => f.name + f.checksum).join('\n')).slice(0, 16)
  const file = path.join(os.tmpdir(), `brisk-pglite-template-${key}.tar`)
  if (!fs.existsSync(file)) {
    const pglite = await PGlite.create({ parsers: pgliteParsers })
    const db = wrapPglite(pglite, 'template')
    await migrate(db.primary)
    const dump = await pglite.dumpDataDir('none')
    await db.close()
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()))
    fs.renameSync(tmp, file)
  }
  return new Blob([fs.readFileSync(file)])
}

export async function openTestDb(kind: DatabaseKind): Promise<Db> {
  if (kind === 'pglite') {
    const pglite = await PGlite.create({ parsers: pgliteParsers, loadDataDir: await pgliteTemplate() })
    const db = wrapPglite(pglite, 'test PGlite')
    await migrate(db.primary)
    return db
  }
  if (!testDatabaseUrl) throw new Error('BRISK_TEST_DATABASE_URL is not set')
  const name = `brisk_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: testDatabaseUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(testDatabaseUrl)
  url.pathname = `/${name}`
  const db = connectPostgres({ url: url.toString(), poolSize: 12, statementTimeoutMs: 30_000 })
  await migrate(db.primary)
  return {
    ...db,
    close: async () => {
      await db.close()
      const dropper = new pg.Client({ connectionString: testDatabaseUrl })
      await dropper.connect()
      await dropper.query(`drop database if exists ${name} with (force)`)
      await dropper.end()
    },
  }
}

/** Empties every table but the migration history, and restarts identities. */
export async function resetDb(db: Db): Promise<void> {
  const { rows } = await sql<{ tablename: string }>`
    select tablename from pg_tables where schemaname = 'public' and tablename <> 'brisk_migration'`.execute(db.primary)
  if (rows.length === 0) return
  const list = rows.map((r) => `"${r.tablename}"`).join(', ')
  await sql.raw(`truncate ${list} restart identity cascade`).execute(db.primary)
}

export interface DbContext {
  readonly db: Db
  readonly kind: DatabaseKind
}

/**
 * Declares `fn`'s tests once per database kind. The database is opened once per kind and file,
 * and emptied before every test.
 */
export function describeEachDatabase(name: string, fn: (ctx: DbContext) => void): void {
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
        db = await openTestDb(kind)
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
