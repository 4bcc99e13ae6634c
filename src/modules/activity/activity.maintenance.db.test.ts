import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import { createProduct } from '../../../test/factories.ts'
import { pruneOldViews } from './activity.maintenance.ts'
import { insertViewsAged } from './activity.test-support.ts'

describeEachDatabase('activity: view retention', (ctx) => {
  async function ages() {
    const { rows } = await sql<{ old: number; recent: number }>`
      select count(*) filter (where viewed_at < now() - interval '30 days')::int as old,
        count(*) filter (where viewed_at >= now() - interval '30 days')::int as recent
      from product_view`.execute(ctx.db.primary)
    return rows[0]!
  }

  test('deletes only the views older than N days, one statement per batch', async () => {
    const product = await createProduct(ctx.db)
    await insertViewsAged(ctx.db, 25, product.id, 40)
    await insertViewsAged(ctx.db, 7, product.id, 29)
    const batches: number[] = []
    const { result, count } = await countQueries(() =>
      pruneOldViews(ctx.db, { olderThanDays: 30, batchSize: 10, onBatch: (deleted) => batches.push(deleted) }),
    )
    assert.equal(result, 25)
    assert.deepEqual(batches, [10, 20, 25])
    assert.equal(count, 3, 'three DELETE statements for 25 views in batches of 10')
    assert.deepEqual(await ages(), { old: 0, recent: 7 })
    assert.equal(await pruneOldViews(ctx.db, { olderThanDays: 30 }), 0)
  })

  test('refuses a bad age or batch size', async () => {
    await assert.rejects(pruneOldViews(ctx.db, { olderThanDays: -1 }), /whole number of days/)
    await assert.rejects(pruneOldViews(ctx.db, { olderThanDays: 1, batchSize: 0 }), /batch size/)
  })
})
