import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import { createUnits } from '../../../test/factories.ts'
import { memoryOnlyCache } from '../../infra/cache/cache.ts'
import { catalogCacheOf, createCatalogService } from '../catalog/index.ts'
import { runImport } from './imports.engine.ts'
import { productsKind, productsKindWith } from './imports.products.ts'
import type { ChunkResult } from './imports.kinds.ts'
import { GENERATED_UNITS, PRODUCT_CSV_HEADER, productsCsv, productsNdjson } from './imports.test-support.ts'

describeEachDatabase('imports: products', (ctx) => {
  const importText = (text: string, options: { chunkSize?: number; format?: 'csv' | 'ndjson' } = {}) =>
    runImport(ctx.db, productsKind, { source: 'test', input: Readable.from([text]), ...options })

  const counts = async () => {
    const products = await ctx.db.primary.selectFrom('product').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    const units = await ctx.db.primary.selectFrom('product_unit').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    return { products: Number(products.n), units: Number(units.n) }
  }

  /** The kind's rows for generated products, parsed as the engine would. */
  const parsedRows = (count: number, prefix: string) =>
    productsNdjson(count, { prefix })
      .trim()
      .split('\n')
      .map((text, i) => {
        const row = productsKind.parse(JSON.parse(text), i + 1)
        if ('field' in row) throw new Error(JSON.stringify(row))
        return { line: i + 1, row }
      })

  test("writeChunk: 1 lookup and 2 writes whatever the chunk's size", async () => {
    await createUnits(ctx.db, [...GENERATED_UNITS])
    for (const [size, prefix] of [
      [10, 'S'],
      [500, 'M'],
    ] as const) {
      const rows = parsedRows(size, prefix)
      const { result, count } = await countQueries(() =>
        ctx.db.primary.transaction().execute((trx) => productsKind.writeChunk(trx, rows, { tokenId: null, runId: 1, options: {} })),
      )
      assert.equal(result.written, size)
      assert.deepEqual(result.rejects, [])
      // begin; units, stored SKUs and barcode owners in one lookup; categories; products with their units; commit
      assert.equal(count, 5, `chunk of ${size}`)
    }
    assert.deepEqual(await counts(), { products: 510, units: 1530 })
  })

  test('through the engine: statements are ⌈N/chunk⌉ × k + c', async () => {
    await createUnits(ctx.db, [...GENERATED_UNITS])
    const measured = new Map<number, number>()
    for (const size of [50, 250, 1000]) {
      const { result, count } = await countQueries(() => importText(productsCsv(size, { prefix: `N${size}` }), { chunkSize: 100 }))
      assert.equal(result.rowsWritten, size)
      assert.equal(result.chunks, Math.ceil(size / 100))
      measured.set(size, count)
    }
    const k = (measured.get(1000)! - measured.get(250)!) / (10 - 3)
    const c = measured.get(250)! - 3 * k
    // begin, the kind's lookup and its 2 writes (missing categories; products with their units), the run moved forward, commit
    assert.equal(k, 6)
    assert.equal(measured.get(50), 1 * k + c, `50 rows: ${k} per chunk + ${c}`)
    assert.deepEqual(await counts(), { products: 1300, units: 3900 })
  })

  test('bad rows are rejected with their line and field while the good rows land', async () => {
    await createUnits(ctx.db, [...GENERATED_UNITS])
    await importText(`${PRODUCT_CSV_HEADER}\nOWNER,Owner,1,19,each,,TAKEN-EAN,true,\n`)
    const lines = [
      'OK-1,Good one,1.50,19,each,Drinks,EAN-1,true,box12:12:BOX-1;pallet:480',
      'BAD-PRICE,Bad,1.999,19,each,Drinks,,,',
      'BAD-FACTOR,Bad,1,19,each,Drinks,,,box12:0',
      'TWICE,Bad,1,19,each,Drinks,,,box12:12;box12:24',
      'CRATE,Bad,1,19,crate,Drinks,,,',
      'UNKNOWN-UNIT,Bad,1,19,each,Drinks,,,keg:50',
      'OK-1,Repeated,1,19,each,Drinks,,,',
      'THIEF,Bad,1,19,each,Drinks,TAKEN-EAN,,',
      'BAD-NUMBER,Bad,abc,19,each,Drinks,,,',
      'OK-2,Good two,2,7,each,Snacks,,no,',
    ]
    const summary = await importText(`${PRODUCT_CSV_HEADER}\n${lines.join('\n')}\n`)
    assert.deepEqual(
      summary.rejects.map((r) => [r.line, r.field]),
      [
        [2, 'price'],
        [3, 'units[0].factor'],
        [4, 'units[1]'],
        [5, 'baseUnit'],
        [6, 'units'],
        [7, 'sku'],
        [8, 'barcode'],
        [9, 'price'],
      ],
    )
    assert.match(summary.rejects[3]!.message, /crate/)
    assert.match(summary.rejects[4]!.message, /keg/)
    assert.match(summary.rejects[6]!.message, /OWNER/)
    assert.equal(summary.rowsWritten, 2)
    assert.equal(summary.rowsRejected, 8)
    const stored = await ctx.db.primary.selectFrom('product').select(['sku', 'active']).orderBy('sku').execute()
    assert.deepEqual(stored, [
      { sku: 'OK-1', active: true },
      { sku: 'OK-2', active: false },
      { sku: 'OWNER', active: true },
    ])
  })

  test('re-importing the same file updates in place; a changed file changes the products, not their ids', async () => {
    await createUnits(ctx.db, [...GENERATED_UNITS])
    const first = await importText(productsCsv(300, { prefix: 'R' }), { chunkSize: 128 })
    const ids = await ctx.db.primary.selectFrom('product').select(['id', 'sku']).orderBy('sku').execute()
    const again = await importText(productsCsv(300, { prefix: 'R' }), { chunkSize: 128 })
    assert.equal(first.rowsWritten, 300)
    assert.equal(again.rowsWritten, 300)
    assert.equal(again.rowsRejected, 0)
    assert.deepEqual(await counts(), { products: 300, units: 900 })

    const changed = await importText(productsNdjson(300, { prefix: 'R', units: 1, priceOf: () => '9.99' }), { chunkSize: 128 })
    assert.equal(changed.format, 'ndjson')
    assert.equal(changed.rowsWritten, 300)
    assert.deepEqual(await ctx.db.primary.selectFrom('product').select(['id', 'sku']).orderBy('sku').execute(), ids)
    // units given are the complete set: pack6 stays, box12 and pallet go
    assert.deepEqual(await counts(), { products: 300, units: 300 })
    const prices = await ctx.db.primary.selectFrom('product').select('price').distinct().execute()
    assert.deepEqual(prices.map((p) => Number(p.price)), [9.99])
    const categories = await ctx.db.primary.selectFrom('category').select('name').execute()
    assert.equal(categories.length, 20, 'each category created once')
  })

  test('the written products are evicted after the commit, and a rolled-back chunk evicts nothing', async () => {
    await createUnits(ctx.db, [...GENERATED_UNITS])
    const cache = memoryOnlyCache()
    const catalog = createCatalogService(ctx.db, cache)
    const kind = productsKindWith(catalogCacheOf(cache, ctx.db))
    await importText(productsCsv(3, { prefix: 'C' }))
    const before = await catalog.lookupProduct('C-BOX-1')
    const rows = parsedRows(3, 'C').map((r) => ({ ...r, row: { ...r.row, row: { ...r.row.row, price: '42' } } }))
    const context = { tokenId: null, runId: 1, options: {} }

    const rolledBack = ctx.db.primary.transaction().execute(async (trx) => {
      const result: ChunkResult = await kind.writeChunk(trx, rows, context)
      assert.ok(result.afterCommit)
      throw new Error('the engine failed after the chunk')
    })
    await assert.rejects(rolledBack, /the engine failed/)
    assert.equal(cache.counters.product.evictions, 0)
    assert.deepEqual(await catalog.lookupProduct('C-BOX-1'), before)

    const result: ChunkResult = await ctx.db.primary.transaction().execute((trx) => kind.writeChunk(trx, rows, context))
    assert.equal((await catalog.lookupProduct('C-BOX-1')).product.price, before.product.price, 'cached until the commit is reported')
    await result.afterCommit?.()
    assert.equal((await catalog.lookupProduct('C-BOX-1')).product.price, '42.00')
  })

  test('JSON Lines land with their units and category, readable through the catalog', async () => {
    await createUnits(ctx.db, [...GENERATED_UNITS])
    await importText(productsNdjson(2, { prefix: 'J' }))
    const found = await createCatalogService(ctx.db).lookupProduct('J-BOX-1')
    assert.equal(found.unit, 'box12')
    assert.equal(found.product.category?.name, 'Category 1')
    assert.deepEqual(
      found.product.units.map((u) => [u.unit, u.factor]),
      [
        ['box12', '12'],
        ['pack6', '6'],
        ['pallet', '480'],
      ],
    )
  })
})
