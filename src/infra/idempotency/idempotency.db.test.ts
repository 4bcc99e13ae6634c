import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import type { Executor } from '../db/database.ts'
import { AppError } from '../errors.ts'
import { createIdempotentWriter, type IdempotentWrite } from './idempotency.ts'

describeEachDatabase('idempotent writes', (ctx) => {
  const writer = () => createIdempotentWriter(ctx.db, { ttlHours: 24, codePrefix: 'TEST' })
  const write = (key: string | undefined, request: unknown, operation = 'add unit'): IdempotentWrite => ({
    scope: 'token:1',
    operation,
    request,
    options: { idempotencyKey: key },
  })
  const addUnit = (db: Executor, code: string) => db.insertInto('unit').values({ code, name: code }).execute()
  const units = async () => (await ctx.db.primary.selectFrom('unit').select('code').orderBy('code').execute()).map((u) => u.code)
  const code = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    )
    assert.ok(error instanceof AppError)
    return error.code
  }

  test('a repeat replays the stored response without running the work; another request under the key is refused', async () => {
    const writes = writer()
    let runs = 0
    const run = (key: string, request: { code: string }, operation?: string) =>
      writes.inTransaction(write(key, request, operation), async (trx) => {
        runs += 1
        await addUnit(trx, request.code)
        return { added: request.code }
      })
    const first = await countQueries(() => run('k1', { code: 'box' }))
    // BEGIN, claim, the work, the stored response, COMMIT
    assert.equal(first.count, 5)
    assert.deepEqual(first.result, { body: { added: 'box' }, replayed: false })
    assert.deepEqual(await run('k1', { code: 'box' }), { body: { added: 'box' }, replayed: true })
    assert.equal(runs, 1)
    assert.equal(await code(run('k1', { code: 'crate' })), 'TEST_IDEMPOTENCY_KEY_REUSED')
    assert.equal(await code(run('k1', { code: 'box' }, 'remove unit')), 'TEST_IDEMPOTENCY_KEY_REUSED')
    assert.equal(await code(run('k'.repeat(201), { code: 'box' })), 'TEST_INVALID_IDEMPOTENCY_KEY')
    assert.deepEqual(await units(), ['box'])
  })

  test('work that stores its response in its own statement saves one statement; failed work leaves the key free', async () => {
    const writes = writer()
    const folded = await countQueries(() =>
      writes.inTransaction(write('k2', { code: 'tray' }), async (trx, key) => {
        const response = { added: 'tray' }
        await sql`with ${key!.storeInStatement(response)} insert into unit (code, name) values ('tray', 'tray')`.execute(trx)
        return response
      }),
    )
    // BEGIN, claim, the work with its response, COMMIT
    assert.equal(folded.count, 4)
    const replay = await writes.inTransaction(write('k2', { code: 'tray' }), async () => assert.fail('must not run again'))
    assert.deepEqual(replay, { body: { added: 'tray' }, replayed: true })

    const failing = writes.inTransaction(write('k3', { code: 'pallet' }), async (trx) => {
      await addUnit(trx, 'pallet')
      throw new Error('the write failed after its first statement')
    })
    await assert.rejects(failing, /the write failed/)
    const retried = await writes.inTransaction(write('k3', { code: 'pallet' }), async (trx) => {
      await addUnit(trx, 'pallet')
      return { added: 'pallet' }
    })
    assert.equal(retried.replayed, false)
    assert.deepEqual(await units(), ['pallet', 'tray'])
  })

  test('a one-statement write without a key runs without a transaction; with one it gets one', async () => {
    const writes = writer()
    const added = (db: Executor, unit: string) => addUnit(db, unit).then(() => ({ added: unit }))
    const bare = await countQueries(() => writes.inTransactionIfKeyed(write(undefined, {}), (db) => added(db, 'each')))
    assert.equal(bare.count, 1)
    const keyed = await countQueries(() => writes.inTransactionIfKeyed(write('k4', {}), (db) => added(db, 'kg')))
    assert.equal(keyed.count, 5)
    assert.deepEqual(await units(), ['each', 'kg'])
  })
})
