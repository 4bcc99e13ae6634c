import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import { invalid } from '../errors.ts'
import { getBatchLog, listBatchLog, MAX_LOGGED_ERRORS, runBatch } from './batch-log.ts'

describeEachDatabase('batch log', (ctx) => {
  test('a batch is logged with its figures, its statements (the two of the log included) and its row errors, capped', async () => {
    const { result, count } = await countQueries(() =>
      runBatch(ctx.db, { operation: 'test.rows', tokenId: 7, rowsTotal: 300 }, async (run) => {
        await sql`select 1`.execute(ctx.db.primary)
        run.add({ succeeded: 50, errors: Array.from({ length: 150 }, (_, i) => ({ row: i, code: 'TEST_BAD', message: `row ${i}` })) })
        run.add({ succeeded: 100 })
        run.note({ chunks: 2 })
        return 'done'
      }),
    )
    const { log } = result
    assert.equal(result.result, 'done')
    assert.equal(count, 3)
    assert.deepEqual(
      [log.operation, log.status, log.rowsTotal, log.rowsSucceeded, log.rowsFailed, log.statements, log.tokenId],
      ['test.rows', 'partial', 300, 150, 150, 3, 7],
    )
    const detail = log.detail as { errors: unknown[]; errorsNotListed: number; chunks: number }
    assert.equal(detail.errors.length, MAX_LOGGED_ERRORS)
    assert.equal(detail.errorsNotListed, 50)
    assert.equal(detail.chunks, 2)
    assert.deepEqual(await getBatchLog(ctx.db, { all: true }, log.id), log)
    await assert.rejects(getBatchLog(ctx.db, { tokenId: 8 }, log.id), { code: 'BATCH_NOT_FOUND' })
  })

  test('a batch whose work throws is finished with what had committed and the failure, and the error goes on', async () => {
    let id = 0
    await assert.rejects(
      runBatch(ctx.db, { operation: 'test.fails', tokenId: null, rowsTotal: 10 }, async (run) => {
        id = run.id
        run.add({ succeeded: 4 })
        throw invalid('TEST_BROKEN', 'broken')
      }),
      { code: 'TEST_BROKEN' },
    )
    const log = await getBatchLog(ctx.db, { all: true }, id)
    assert.deepEqual([log.status, log.rowsSucceeded, log.rowsFailed], ['partial', 4, 6])
    assert.deepEqual((log.detail as { failure: unknown }).failure, { code: 'TEST_BROKEN', message: 'broken' })
    const empty = await runBatch(ctx.db, { operation: 'test.fails', tokenId: null, rowsTotal: 0 }, async () => undefined)
    assert.equal(empty.log.status, 'succeeded')
    const page = await listBatchLog(ctx.db, { all: true }, { operation: 'test.fails', limit: 1 })
    assert.deepEqual(page.items.map((b) => b.id), [empty.log.id])
    assert.deepEqual((await listBatchLog(ctx.db, { all: true }, { operation: 'test.fails', before: page.nextBefore! })).items.map((b) => b.id), [id])
  })
})
