import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import { createProducts } from '../../../test/factories.ts'
import { runImport } from './imports.engine.ts'
import { scoresKind } from './imports.scores.ts'

const csv = (lines: string[]) => Readable.from([`${lines.join('\n')}\n`])

describeEachDatabase('imports: recommendation scores', (ctx) => {
  async function customers(n: number): Promise<number[]> {
    const rows = await ctx.db.primary
      .insertInto('customer')
      .values(Array.from({ length: n }, (_, i) => ({ email: `c${i}-${Math.random()}@example.com`, name: `C ${i}`, password_hash: 'x' })))
      .returning('id')
      .execute()
    return rows.map((r) => Number(r.id))
  }

  test('scores are upserted in place, the last line of a key wins, unknown customers and products are rejected', async () => {
    const [c1] = await customers(1)
    const [p1, p2] = await createProducts(ctx.db, 2)
    const first = await runImport(ctx.db, scoresKind, {
      source: 'scores.csv',
      input: csv([
        'customerId,sku,productId,algorithm,score',
        `${c1},${p1!.sku},,cf,0.5`,
        `${c1},,${p2!.id},cf,0.25`,
        `${c1},${p1!.sku},,cf,0.75`,
        `999999999,${p1!.sku},,cf,1`,
        `${c1},NOPE,,cf,1`,
        `${c1},${p1!.sku},,CF!,1`,
        `${c1},${p1!.sku},,cf,abc`,
      ]),
    })
    assert.deepEqual(first.rejects.map((r) => [r.line, r.field]), [
      [4, 'customerId'],
      [5, 'sku'],
      [6, 'algorithm'],
      [7, 'score'],
    ])
    assert.equal(first.rowsWritten, 2)
    const again = await runImport(ctx.db, scoresKind, {
      source: 'scores.csv',
      input: csv(['customerId,sku,algorithm,score', `${c1},${p1!.sku},cf,0.75`, `${c1},${p2!.sku},cf,0.3`]),
    })
    assert.equal(again.rowsWritten, 1, 'an unchanged score is not rewritten')
    const stored = await ctx.db.primary.selectFrom('recommendation_score').select(['product_id', 'score']).orderBy('product_id').execute()
    assert.deepEqual(stored.map((s) => [s.product_id, Number(s.score)]), [
      [p1!.id, 0.75],
      [p2!.id, 0.3],
    ])
  })

  test('statements are ⌈N/chunk⌉ + 2', async () => {
    const ids = await customers(5)
    const products = await createProducts(ctx.db, 10)
    const lines = (n: number) => ['customerId,sku,algorithm,score', ...Array.from({ length: n }, (_, i) => `${ids[i % 5]},${products[i % 10]!.sku},a${Math.floor(i / 50)},0.${i}`)]
    const small = await countQueries(() => runImport(ctx.db, scoresKind, { source: 't', input: csv(lines(25)), chunkSize: 10 }))
    const large = await countQueries(() => runImport(ctx.db, scoresKind, { source: 't', input: csv(lines(50)), chunkSize: 10 }))
    assert.equal(small.count, 3 + 2)
    assert.equal(large.count, 5 + 2)
    assert.equal(large.result.rowsWritten, 50)
  })
})
