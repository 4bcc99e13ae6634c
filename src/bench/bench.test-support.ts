/** What the bench tests share. */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before } from 'node:test'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { pgliteTemplate, testDatabaseUrl } from '../../test/db.ts'
import { pgliteParsers } from '../infra/db/type-parsers.ts'

/**
 * Ctrl+C for a scenario under test: calls the one SIGINT listener the run added (not the test
 * runner's, which `listening` holds), waits for the run to end and answers the exit code it set,
 * leaving process.exitCode as it was.
 */
export async function interruptRun(running: Promise<unknown>, listening: readonly unknown[]): Promise<number | string | undefined> {
  const ours = process.listeners('SIGINT').filter((l) => !listening.includes(l))
  assert.equal(ours.length, 1)
  try {
    ours[0]!('SIGINT')
    await running
    return process.exitCode
  } finally {
    process.exitCode = undefined
  }
}

/**
 * Where a bench under test runs, for the suite that calls this: on PostgreSQL
 * (BRISK_TEST_DATABASE_URL) each run makes and drops a scratch database of its own; on PGlite it
 * runs in a folder of the test's own, cloned from the migrated template before the suite (a
 * scratch PGlite takes seconds) and removed after it.
 */
export function useBenchDatabase(prefix: string) {
  let folder: string | undefined
  before(async () => {
    if (testDatabaseUrl) return
    folder = fs.mkdtempSync(path.join(os.tmpdir(), `brisk-test-${prefix}-`))
    const pglite = await PGlite.create({ dataDir: folder, parsers: pgliteParsers, loadDataDir: await pgliteTemplate() })
    await pglite.close()
  })
  after(() => {
    if (folder) fs.rmSync(folder, { recursive: true, force: true })
  })
  return {
    /** the scenario's `--database` option: the test's PGlite folder, or none (a scratch PostgreSQL database) */
    where: (): { database?: string } => (folder ? { database: folder } : {}),
    onPglite: () => folder !== undefined,
    /** Whether the scratch database a run named in `database` is still there (never on PGlite). */
    async scratchLeft(database: string): Promise<boolean> {
      if (folder) return false
      const name = /\b(brisk_bench_[0-9a-f]{8})\b/.exec(database)?.[1]
      assert.ok(name && testDatabaseUrl, `names no scratch database: ${database}`)
      const client = new pg.Client({ connectionString: testDatabaseUrl })
      await client.connect()
      try {
        return (await client.query('select 1 from pg_database where datname = $1', [name])).rows.length > 0
      } finally {
        await client.end()
      }
    },
  }
}
