import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import { connectPostgres } from '../db/connect.ts'
import type { Db } from '../db/database.ts'
import { AppError } from '../errors.ts'
import { pruneIdempotencyKeys, scheduleIdempotencyKeyPruning } from './idempotency.maintenance.ts'
import { claimUnexpiredIdempotencyKey } from './idempotency.repository.ts'

/** Stores keys created `ageHours` ago by the database's clock, as the service would have. */
async function insertKeys(db: Db, keys: readonly { key: string; ageHours: number }[]): Promise<void> {
  await sql`
    insert into idempotency_key (scope, key, operation, request_hash, response, created_at)
    select 'system', k.key, 'create invoice', 'hash-' || k.key, '{"id": 1}'::jsonb, now() - make_interval(hours => k.age)
    from unnest(${keys.map((k) => k.key)}::text[], ${keys.map((k) => k.ageHours)}::integer[]) as k(key, age)`.execute(
    db.primary,
  )
}

async function keysLeft(db: Db): Promise<string[]> {
  const rows = await db.primary.selectFrom('idempotency_key').select('key').orderBy('key').execute()
  return rows.map((r) => r.key)
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

function recordingLog() {
  const infos: Record<string, unknown>[] = []
  const warnings: Record<string, unknown>[] = []
  return {
    infos,
    warnings,
    log: {
      info: (details: object) => void infos.push(details as Record<string, unknown>),
      warn: (details: object) => void warnings.push(details as Record<string, unknown>),
    },
  }
}

const old = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `old-${i}`, ageHours: 25 }))
const fresh = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `fresh-${i}`, ageHours: 1 }))

describeEachDatabase('idempotency key expiry', (ctx) => {
  test('pruning deletes exactly the keys older than the TTL, in batches, and returns how many', async () => {
    await insertKeys(ctx.db, [...old(5), ...fresh(3)])
    const { result, count } = await countQueries(() => pruneIdempotencyKeys(ctx.db, { ttlHours: 24, batchSize: 2 }))
    assert.equal(result, 5)
    // batches of 2, 2 and 1: the short one says none are left
    assert.equal(count, 3)
    assert.deepEqual(await keysLeft(ctx.db), ['fresh-0', 'fresh-1', 'fresh-2'])
    assert.equal(await pruneIdempotencyKeys(ctx.db, { ttlHours: 24, batchSize: 2 }), 0)
    assert.deepEqual(await keysLeft(ctx.db), ['fresh-0', 'fresh-1', 'fresh-2'])
  })

  test('a full last batch costs one more statement to learn nothing is left; the TTL decides what is old', async () => {
    await insertKeys(ctx.db, [...old(4), { key: 'three-hours', ageHours: 3 }, ...fresh(1)])
    const { result, count } = await countQueries(() => pruneIdempotencyKeys(ctx.db, { ttlHours: 24, batchSize: 2 }))
    assert.equal(result, 4)
    assert.equal(count, 3)
    assert.equal(await pruneIdempotencyKeys(ctx.db, { ttlHours: 2, batchSize: 2 }), 1)
    assert.deepEqual(await keysLeft(ctx.db), ['fresh-0'])
  })

  test('a TTL under an hour or a batch size under 1 is refused', async () => {
    await assert.rejects(pruneIdempotencyKeys(ctx.db, { ttlHours: 0 }), (e) => e instanceof AppError && e.code === 'IDEMPOTENCY_INVALID_PRUNE_TTL')
    await assert.rejects(
      pruneIdempotencyKeys(ctx.db, { ttlHours: 24, batchSize: 0 }),
      (e) => e instanceof AppError && e.code === 'IDEMPOTENCY_INVALID_PRUNE_BATCH_SIZE',
    )
  })

  test('an expired key is claimed again as new; a live one is not', async () => {
    await insertKeys(ctx.db, [...old(1), ...fresh(1)])
    const before = await ctx.db.primary.selectFrom('idempotency_key').selectAll().orderBy('key').execute()
    const claim = (key: string) =>
      claimUnexpiredIdempotencyKey(ctx.db.primary, { scope: 'system', key, operation: 'cancel invoice', requestHash: 'new', ttlHours: 24 })
    assert.equal(await claim('fresh-0'), undefined)
    const renewed = await claim('old-0')
    assert.equal(renewed?.id, before.find((k) => k.key === 'old-0')!.id)
    const brandNew = await claim('never-used')
    assert.ok(brandNew)
    const after = await ctx.db.primary.selectFrom('idempotency_key').selectAll().orderBy('key').execute()
    const byKey = new Map(after.map((k) => [k.key, k]))
    assert.deepEqual(byKey.get('fresh-0'), before.find((k) => k.key === 'fresh-0'))
    const taken = byKey.get('old-0')!
    assert.equal(taken.operation, 'cancel invoice')
    assert.equal(taken.request_hash, 'new')
    assert.equal(taken.response, null)
    assert.ok(Date.now() - taken.created_at.getTime() < 60_000)
    assert.equal(byKey.get('never-used')?.response, null)
    // the renewed key is young again: the pruner leaves it
    assert.equal(await pruneIdempotencyKeys(ctx.db, { ttlHours: 24 }), 0)
  })

  test('a key renewed while the prune waits for its row lock is kept', {
    skip: ctx.kind === 'pglite' && 'PGlite runs one statement at a time: the prune cannot wait on a row lock',
  }, async () => {
    await insertKeys(ctx.db, old(3))
    let pruned: Promise<number> | undefined
    await ctx.db.primary.transaction().execute(async (trx) => {
      const renewed = await claimUnexpiredIdempotencyKey(trx, {
        scope: 'system',
        key: 'old-1',
        operation: 'create invoice',
        requestHash: 'retry',
        ttlHours: 24,
      })
      assert.ok(renewed)
      pruned = pruneIdempotencyKeys(ctx.db, { ttlHours: 24, batchSize: 10 })
      await until(async () => {
        const { rows } = await sql<{ waiting: number }>`
          select count(*)::int as waiting from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and query like '%delete from idempotency_key%'`.execute(
          ctx.db.primary,
        )
        return rows[0]!.waiting > 0
      }, 'the prune to wait on the renewed row')
    })
    assert.equal(await pruned, 2)
    assert.deepEqual(await keysLeft(ctx.db), ['old-1'])
  })

  test('the schedule prunes at once and then every interval, logs only real deletions, and stops', async () => {
    await insertKeys(ctx.db, old(3))
    const { infos, warnings, log } = recordingLog()
    const schedule = scheduleIdempotencyKeyPruning(ctx.db, { ttlHours: 24, log, intervalMs: 20, batchSize: 2 })
    try {
      await until(() => infos.length === 1, 'the first run')
      assert.equal(infos[0]!['deleted'], 3)
      assert.equal(infos[0]!['ttlHours'], 24)
      // runs that find nothing log nothing
      await sleep(60)
      assert.equal(infos.length, 1)
      await insertKeys(ctx.db, [...old(2), ...fresh(1)])
      await until(() => infos.length === 2, 'a later run')
      assert.equal(infos[1]!['deleted'], 2)
    } finally {
      await schedule.stop()
    }
    assert.deepEqual(warnings, [])
    await insertKeys(ctx.db, old(1))
    await sleep(60)
    assert.equal(infos.length, 2, 'a stopped schedule runs no more')
    assert.deepEqual(await keysLeft(ctx.db), ['fresh-0', 'old-0'])
  })
})

test('a failing prune is logged as a warning and retried, never thrown', async () => {
  // nothing listens on port 1: every run fails to connect
  const unreachable = connectPostgres({ url: 'postgres://brisk@127.0.0.1:1/brisk', poolSize: 1, statementTimeoutMs: 0 })
  const { infos, warnings, log } = recordingLog()
  const schedule = scheduleIdempotencyKeyPruning(unreachable, { ttlHours: 24, log, intervalMs: 20 })
  try {
    await until(() => warnings.length >= 2, 'two failed runs')
  } finally {
    await schedule.stop()
    await unreachable.close()
  }
  assert.equal(infos.length, 0)
  assert.ok(warnings[0]!['err'] instanceof Error)
})
