import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { type RawBuilder, sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { tempFolderWith } from '../../../test/temp-folder.ts'
import { formatMigrationPlan, MigrationError, migrate, planMigrations } from './migrations.ts'

/**
 * Lint gate, dry run and lock-timeout retries of the runner, on custom migration folders. File
 * numbers differ between tests because they share one database and its brisk_migration history.
 */
describeEachDatabase('migration runner safety', (ctx) => {
  function folderWith(files: Record<string, string>): string {
    return tempFolderWith('brisk-migrations-', files)
  }


  /**
   * Runs `statement` in a transaction on another connection and keeps it open until released, or
   * for 3 s at most so that a regression fails the test instead of hanging it.
   */
  function holdLock(statement: RawBuilder<unknown>) {
    let release!: () => void
    let taken!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
      setTimeout(resolve, 3000).unref()
    })
    const takenPromise = new Promise<void>((resolve) => {
      taken = resolve
    })
    const done = ctx.db.primary.transaction().execute(async (trx) => {
      await statement.execute(trx)
      taken()
      await released
    })
    return { taken: takenPromise, release, done }
  }

  async function tableExists(name: string): Promise<boolean> {
    const { rows } = await sql<{ found: boolean }>`select to_regclass(${name}) is not null as found`.execute(ctx.db.primary)
    return rows[0]?.found ?? false
  }

  test('a dry run lists what would run, with lint results, and changes nothing', async () => {
    const dir = folderWith({
      '0101_gadget.sql': 'create table gadget (id bigint generated always as identity primary key, name text);',
      '0102_rename.sql': "set lock_timeout = '1s';\nalter table gadget rename column name to title;",
    })
    const plan = await planMigrations(ctx.db.primary, { dir })
    assert.deepEqual(
      plan.pending.map((p) => [p.name, p.transactional, p.statements.length]),
      [
        ['0101_gadget.sql', true, 1],
        ['0102_rename.sql', true, 2],
      ],
    )
    assert.deepEqual(
      plan.pending[1]?.violations.map((v) => `${v.rule}@${v.line}`),
      ['rename-column@2'],
    )
    assert.equal(plan.refusedByLint, true)
    const text = formatMigrationPlan(plan)
    assert.match(text, /Would apply 2 migration\(s\)/)
    assert.match(text, /line 2: alter table gadget rename column name to title/)
    assert.match(text, /0102_rename\.sql:2 {2}rename-column/)
    assert.equal(await tableExists('gadget'), false)
  })

  test('migrate refuses files that fail the linter, and applies them with unsafe', async () => {
    const dir = folderWith({
      '0201_widget.sql': 'create table widget (id bigint generated always as identity primary key, name text);',
      '0202_rename.sql': "set lock_timeout = '1s';\nalter table widget rename column name to title;",
    })
    await assert.rejects(migrate(ctx.db.primary, { dir }), (error: unknown) => {
      assert.ok(error instanceof MigrationError)
      assert.match(error.message, /Refusing to migrate: 1 migration lint violation/)
      assert.match(error.message, /0202_rename\.sql:2 {2}rename-column/)
      return true
    })
    assert.equal(await tableExists('widget'), false, 'nothing is applied when a pending file fails')

    const letThrough: string[] = []
    const applied = await migrate(ctx.db.primary, {
      dir,
      unsafe: true,
      onLintViolations: (violations) => letThrough.push(...violations.map((v) => v.rule)),
    })
    assert.deepEqual(applied, ['0201_widget.sql', '0202_rename.sql'])
    assert.deepEqual(letThrough, ['rename-column'])
  })

  test('a lock timeout is retried with backoff', async () => {
    // Sequences ignore rollbacks, so the counter survives each failed attempt.
    const dir = folderWith({
      '0301_attempts.sql': 'create sequence migration_attempt;',
      '0302_contended.sql': `do $$
begin
  if nextval('migration_attempt') < 3 then
    raise exception 'simulated lock wait' using errcode = 'lock_not_available';
  end if;
end $$;
create table contended (id bigint generated always as identity primary key);`,
    })
    const retries: number[] = []
    const applied = await migrate(ctx.db.primary, {
      dir,
      retryDelayMs: 1,
      onRetry: (name, attempt) => {
        assert.equal(name, '0302_contended.sql')
        retries.push(attempt)
      },
    })
    assert.deepEqual(applied, ['0301_attempts.sql', '0302_contended.sql'])
    assert.deepEqual(retries, [1, 2])
    assert.equal(await tableExists('contended'), true)
  })

  test('gives up after the last retry', async () => {
    const dir = folderWith({
      '0401_always_locked.sql': `do $$ begin raise exception 'simulated lock wait' using errcode = 'lock_not_available'; end $$;`,
    })
    let retries = 0
    await assert.rejects(
      migrate(ctx.db.primary, { dir, lockRetries: 2, retryDelayMs: 1, onRetry: () => retries++ }),
      /Migration 0401_always_locked\.sql failed: simulated lock wait/,
    )
    assert.equal(retries, 2)
  })

  test('a no-transaction file runs statement by statement, retrying only the one that timed out', async () => {
    const dir = folderWith({
      '0501_gizmo.sql': "create table gizmo (id bigint generated always as identity primary key, code text);\ncreate sequence gizmo_attempt;",
      '0502_gizmo_index.sql': `-- brisk:no-transaction
set lock_timeout = '1s';
create index concurrently if not exists gizmo_code_idx on gizmo (code);
do $$ begin
  if nextval('gizmo_attempt') < 2 then
    raise exception 'simulated lock wait' using errcode = 'lock_not_available';
  end if;
end $$;
create index concurrently if not exists gizmo_id_code_idx on gizmo (id, code);`,
    })
    let retries = 0
    const applied = await migrate(ctx.db.primary, { dir, retryDelayMs: 1, onRetry: () => retries++ })
    assert.deepEqual(applied, ['0501_gizmo.sql', '0502_gizmo_index.sql'])
    assert.equal(retries, 1)
    assert.equal(await tableExists('gizmo_code_idx'), true)
    assert.equal(await tableExists('gizmo_id_code_idx'), true)
  })

  test('a SET in a migration file does not stay on the connection', async () => {
    const dir = folderWith({ '0601_settings.sql': "set lock_timeout = '3s';\nset statement_timeout = '7s';\nselect 1;" })
    // One connection throughout, so the settings read are those of the connection that migrated.
    await ctx.db.primary.connection().execute(async (conn) => {
      const settings = () =>
        sql<{ lock: string; statement: string }>`
          select current_setting('lock_timeout') as lock, current_setting('statement_timeout') as statement`.execute(conn)
      const before = (await settings()).rows[0]
      await migrate(conn, { dir })
      assert.deepEqual((await settings()).rows[0], before)
    })
  })

  test('a real lock wait times out and is retried until the lock is released', {
    skip: ctx.kind === 'pglite' && 'PGlite has a single session',
  }, async () => {
    const dir = folderWith({ '0801_busy.sql': 'create table busy (id bigint generated always as identity primary key);' })
    await migrate(ctx.db.primary, { dir })
    fs.writeFileSync(path.join(dir, '0802_busy_note.sql'), "set lock_timeout = '50ms';\nalter table busy add column note text;")
    const holder = holdLock(sql`lock table busy in access exclusive mode`)
    await holder.taken
    const retries: number[] = []
    const applied = await migrate(ctx.db.primary, {
      dir,
      retryDelayMs: 20,
      onRetry: (_name, attempt) => {
        retries.push(attempt)
        if (attempt === 2) holder.release()
      },
    })
    await holder.done
    assert.deepEqual(applied, ['0802_busy_note.sql'])
    assert.ok(retries.length >= 2, `retries: ${retries}`)
  })

  test('a CREATE INDEX CONCURRENTLY that timed out is rebuilt, not left invalid', {
    skip: ctx.kind === 'pglite' && 'PGlite has a single session',
  }, async () => {
    const dir = folderWith({ '0901_busy.sql': 'create table busy_codes (id bigint generated always as identity primary key, code text);' })
    await migrate(ctx.db.primary, { dir })
    fs.writeFileSync(
      path.join(dir, '0902_busy_codes_index.sql'),
      "-- brisk:no-transaction\nset lock_timeout = '100ms';\ncreate index concurrently if not exists busy_codes_code_idx on busy_codes (code);",
    )
    // An open writing transaction: the index build gets past its first lock, then waits for this one.
    const holder = holdLock(sql`insert into busy_codes (code) values ('x')`)
    await holder.taken
    let retries = 0
    const applied = await migrate(ctx.db.primary, {
      dir,
      lockTimeout: '100ms',
      retryDelayMs: 20,
      onRetry: () => {
        retries++
        if (retries === 2) holder.release()
      },
    })
    await holder.done
    assert.deepEqual(applied, ['0902_busy_codes_index.sql'])
    assert.ok(retries >= 2)
    const { rows } = await sql<{ valid: boolean }>`
      select indisvalid as valid from pg_index where indexrelid = to_regclass('busy_codes_code_idx')`.execute(ctx.db.primary)
    assert.deepEqual(rows, [{ valid: true }])
  })

  test('the dry run of an up-to-date folder has nothing to apply', async () => {
    const dir = folderWith({ '0701_done.sql': 'select 1;' })
    await migrate(ctx.db.primary, { dir })
    const plan = await planMigrations(ctx.db.primary, { dir })
    assert.deepEqual(plan.pending, [])
    assert.equal(plan.refusedByLint, false)
    assert.equal(formatMigrationPlan(plan), 'Nothing to apply: the database is up to date.')
  })
})
