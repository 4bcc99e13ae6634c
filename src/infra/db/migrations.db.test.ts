import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { tempFolderWith } from '../../../test/temp-folder.ts'
import { migrate, migrationStatus } from './migrations.ts'

function tempMigrations(files: Record<string, string>): string {
  return tempFolderWith('brisk-migrations-', files)
}

describeEachDatabase('migration runner', (ctx) => {
  test('applies pending files once, in order, and refuses an applied file that was edited', async () => {
    const suffix = `${ctx.kind}_${process.pid}`
    const dir = tempMigrations({
      '0001_first.sql': `set lock_timeout = '5s';\ncreate table runner_a_${suffix} (id bigint generated always as identity primary key);`,
    })
    try {
      // The test database already holds the project's history; use a separate history table row set.
      const first = await migrate(ctx.db.primary, { dir })
      assert.deepEqual(first, ['0001_first.sql'])
      assert.deepEqual(await migrate(ctx.db.primary, { dir }), [])

      fs.writeFileSync(path.join(dir, '0002_second.sql'), `set lock_timeout = '5s';\ncreate table runner_b_${suffix} (id bigint generated always as identity primary key);`)
      assert.deepEqual(await migrate(ctx.db.primary, { dir }), ['0002_second.sql'])

      fs.appendFileSync(path.join(dir, '0001_first.sql'), '\n-- an innocent-looking edit\n')
      await assert.rejects(migrate(ctx.db.primary, { dir }), /0001_first\.sql changed since it was applied/)
      const statuses = await migrationStatus(ctx.db.primary, dir)
      assert.equal(statuses.find((s) => s.name === '0001_first.sql')?.state, 'changed')
    } finally {
      await sql.raw(`drop table if exists runner_a_${suffix}, runner_b_${suffix}`).execute(ctx.db.primary)
      await ctx.db.primary.deleteFrom('brisk_migration').where('name', 'in', ['0001_first.sql', '0002_second.sql']).execute()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a failing file is rolled back whole and not recorded', async () => {
    const dir = tempMigrations({
      '0001_broken.sql': `set lock_timeout = '5s';\ncreate table runner_broken_${ctx.kind} (id bigint primary key);\nselect no_such_function();`,
    })
    try {
      await assert.rejects(migrate(ctx.db.primary, { dir }), /0001_broken\.sql failed/)
      const { rows } = await sql<{ exists: boolean }>`select to_regclass(${`runner_broken_${ctx.kind}`}) is not null as exists`.execute(
        ctx.db.primary,
      )
      assert.equal(rows[0]?.exists, false)
      const recorded = await ctx.db.primary.selectFrom('brisk_migration').select('name').where('name', '=', '0001_broken.sql').execute()
      assert.deepEqual(recorded, [])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
