import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import { addStock, createLocation, createProduct, createProducts, ledgerSum, stockOf } from '../../../test/factories.ts'
import { runImport } from './imports.engine.ts'
import { stockKind } from './imports.stock.ts'

const csv = (lines: string[]) => Readable.from([`${lines.join('\n')}\n`])

describeEachDatabase('imports: stock counts', (ctx) => {
  test('a count of 12 where the stock is 10 writes one +2 ledger row; a count equal to the stock writes none', async () => {
    const location = await createLocation(ctx.db)
    const p = await createProduct(ctx.db, { sku: 'CNT-1', units: { box12: '12' } })
    const same = await createProduct(ctx.db, { sku: 'CNT-2' })
    const fresh = await createProduct(ctx.db, { sku: 'CNT-3', units: { box12: '12' } })
    await addStock(ctx.db, location.id, [{ productId: p.id, quantity: '10' }, { productId: same.id, quantity: '5' }])
    const summary = await runImport(ctx.db, stockKind, {
      source: 'count.csv',
      input: csv(['sku,quantity,unit', 'CNT-1,12,', 'CNT-2,5,', 'CNT-3,2,box12']),
      options: { location: location.code },
    })
    assert.deepEqual([summary.rowsRead, summary.rowsWritten, summary.rowsRejected], [3, 2, 0])
    const ledger = await ctx.db.primary
      .selectFrom('stock_ledger')
      .select(['product_id', 'delta', 'reason', 'reference'])
      .where('reason', '=', 'count')
      .orderBy('product_id')
      .execute()
    assert.deepEqual(
      ledger.map((l) => [l.product_id, Number(l.delta), l.reason, l.reference]),
      [
        [p.id, 2, 'count', `import:${summary.runId}`],
        [fresh.id, 24, 'count', `import:${summary.runId}`],
      ],
    )
    assert.equal(Number(await stockOf(ctx.db, location.id, p.id)), 12)
    assert.equal(Number(await ledgerSum(ctx.db, location.id, p.id)), 12)
    assert.equal(Number(await stockOf(ctx.db, location.id, same.id)), 5)
  })

  test('unknown SKUs and units are rejected with line and field; the good rows land', async () => {
    const location = await createLocation(ctx.db)
    const p = await createProduct(ctx.db, { sku: 'CNT-A' })
    const summary = await runImport(ctx.db, stockKind, {
      source: 'count.csv',
      input: csv(['sku,quantity,unit', 'CNT-A,3,', 'NOPE,1,', 'CNT-A,x,', 'CNT-A,1,crate']),
      options: { locationId: location.id },
    })
    assert.deepEqual(summary.rejects, [
      { line: 2, field: 'sku', message: 'no product with SKU NOPE' },
      { line: 3, field: 'quantity', message: '"x" is not a non-negative number with at most 6 decimals' },
      { line: 4, field: 'unit', message: 'unit crate has no conversion for SKU CNT-A' },
    ])
    assert.equal(Number(await stockOf(ctx.db, location.id, p.id)), 3)
    assert.equal(summary.batch.rowsFailed, 3)
  })

  test('statements: ⌈N/chunk⌉ + 3 (the location, the log opened with the run, the log finished)', async () => {
    const location = await createLocation(ctx.db)
    const products = await createProducts(ctx.db, 50)
    const run = (n: number) =>
      countQueries(() =>
        runImport(ctx.db, stockKind, {
          source: 'count.csv',
          input: csv(['sku,quantity', ...products.slice(0, n).map((p, i) => `${p.sku},${i + n}`)]),
          options: { locationId: location.id },
          chunkSize: 10,
        }),
      )
    const small = await run(25)
    const large = await run(50)
    assert.equal(small.count, 3 + 3)
    assert.equal(large.count, 5 + 3)
    assert.equal(large.result.rowsWritten, 50)
  })
})
