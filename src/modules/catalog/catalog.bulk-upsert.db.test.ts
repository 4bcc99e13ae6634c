import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import { createToken, createUnits } from '../../../test/factories.ts'
import type { AppError } from '../../infra/errors.ts'
import { BULK_CHUNK_SIZE, type BulkProductInput } from './catalog.bulk-upsert.ts'
import { createCatalogService } from './catalog.service.ts'
import { productCount, useCatalogApp } from './catalog.test-support.ts'

function bulkLines(prefix: string, count: number): BulkProductInput[] {
  return Array.from({ length: count }, (_, i) => ({
    sku: `${prefix}-${i}`,
    barcode: `${prefix}-EAN-${i}`,
    name: `${prefix} product ${i}`,
    category: i % 2 === 0 ? 'Drinks' : 'Snacks',
    baseUnit: 'each',
    price: `${i % 100}.${String(i % 100).padStart(2, '0')}`,
    taxRate: '20',
    units: [{ unit: 'box12', factor: 12, barcode: `${prefix}-BOX-${i}` }],
  }))
}

describeEachDatabase('catalog: bulk upsert', (ctx) => {
  const { app, writer } = useCatalogApp(ctx)

  test('bulk upsert of 10, 1000 and 2500 products: statements per chunk do not depend on its size', async () => {
    await createUnits(ctx.db, ['each', 'box12'])
    const { principal } = await createToken(ctx.db, 'admin')
    const catalog = createCatalogService(ctx.db)
    const counts = new Map<number, number>()
    for (const size of [10, 1000, 2500]) {
      const progress: number[] = []
      const { result, count } = await countQueries(() =>
        catalog.bulkUpsertProducts(principal, { products: bulkLines(`S${size}`, size) }, {
          onProgress: (p) => {
            progress.push(p.done)
          },
        }),
      )
      assert.equal(result.created, size)
      assert.equal(result.updated, 0)
      assert.equal(progress.at(-1), size)
      assert.equal(progress.length, Math.ceil(size / BULK_CHUNK_SIZE))
      counts.set(size, count)
    }
    const perChunk = (counts.get(2500)! - counts.get(1000)!) / 2
    const fixed = counts.get(1000)! - perChunk
    // begin, the chunk's missing categories, products with their units, commit
    assert.equal(perChunk, 4)
    // units, existing SKUs and barcode owners, in one lookup
    assert.equal(fixed, 1)
    assert.equal(counts.get(10), fixed + 1 * perChunk)
    assert.equal(counts.get(1000), fixed + 1 * perChunk)
    assert.equal(counts.get(2500), fixed + 3 * perChunk)
    assert.equal(await productCount(ctx.db), 3510)

    const box = await catalog.lookupProduct('S2500-BOX-2499')
    assert.equal(box.product.sku, 'S2500-2499')
    assert.equal(box.unit, 'box12')
    assert.equal(box.product.price, '99.99')
    assert.deepEqual(box.product.category, { id: box.product.category!.id, name: 'Snacks' })
  })

  test('bulk upsert updates existing SKUs, keeps fields it was not given, and replaces units it was given', async () => {
    await createUnits(ctx.db, ['each', 'box12', 'pack6'])
    const { principal } = await createToken(ctx.db, 'manager')
    const catalog = createCatalogService(ctx.db)
    const first = await catalog.bulkUpsertProducts(principal, { products: bulkLines('U', 3) })
    assert.deepEqual(first, { total: 3, created: 3, updated: 0, categoriesCreated: 2 })

    const second = await catalog.bulkUpsertProducts(principal, {
      products: [
        { sku: 'U-0', name: 'Renamed', baseUnit: 'each', price: '0.10', units: [{ unit: 'pack6', factor: '6', barcode: 'U-BOX-0' }] },
        { sku: 'U-1', name: 'Cleared', baseUnit: 'each', price: 7, barcode: null, category: null, units: [] },
        { sku: 'NEW-1', name: 'Brand new', baseUnit: 'each', price: '1.5', category: 'Bakery', description: 'Fresh "daily", {x}\\' },
      ],
    })
    assert.deepEqual(second, { total: 3, created: 1, updated: 2, categoriesCreated: 1 })

    const renamed = await catalog.lookupProduct('U-0')
    assert.equal(renamed.product.name, 'Renamed')
    assert.equal(renamed.product.price, '0.10')
    assert.equal(renamed.product.barcode, 'U-EAN-0')
    assert.equal(renamed.product.taxRate, '20')
    assert.equal(renamed.product.category?.name, 'Drinks')
    // the box barcode moved from the dropped box12 to the new pack6 in the same statement
    assert.deepEqual(renamed.product.units, [{ unit: 'pack6', factor: '6', barcode: 'U-BOX-0' }])

    const cleared = await catalog.lookupProduct('U-1')
    assert.equal(cleared.product.barcode, null)
    assert.equal(cleared.product.category, null)
    assert.deepEqual(cleared.product.units, [])
    assert.equal(cleared.product.price, '7.00')

    const untouched = await catalog.lookupProduct('U-2')
    assert.deepEqual(untouched.product.units, [{ unit: 'box12', factor: '12', barcode: 'U-BOX-2' }])
    assert.equal((await catalog.lookupProduct('NEW-1')).product.description, 'Fresh "daily", {x}\\')
    assert.equal(await productCount(ctx.db), 4)
  })

  test('units are rewritten only where they changed; new and existing products mix in one chunk', async () => {
    await createUnits(ctx.db, ['each', 'box12', 'pack6'])
    const { principal } = await createToken(ctx.db, 'manager')
    const catalog = createCatalogService(ctx.db)
    await catalog.bulkUpsertProducts(principal, { products: bulkLines('K', 2) })
    const versions = async () =>
      (
        await sql<{ sku: string; unit_code: string; version: string }>`select p.sku, u.unit_code, u.xmin::text as version
          from product_unit u join product p on p.id = u.product_id order by p.sku, u.unit_code`.execute(ctx.db.primary)
      ).rows
    const before = await versions()

    const [k0, k1] = bulkLines('K', 2)
    const again = await catalog.bulkUpsertProducts(principal, {
      products: [
        k0!,
        { ...k1!, units: [{ unit: 'box12', factor: 24, barcode: 'K-BOX-1' }, { unit: 'pack6', factor: 6 }] },
        ...bulkLines('KN', 1),
      ],
    })
    assert.deepEqual(again, { total: 3, created: 1, updated: 2, categoriesCreated: 0 })
    const after = await versions()
    // K-0's unit is as it was: the same row version; K-1's box12 changed, its pack6 is new
    assert.deepEqual(after.find((u) => u.sku === 'K-0'), before.find((u) => u.sku === 'K-0'))
    assert.notEqual(after.find((u) => u.sku === 'K-1' && u.unit_code === 'box12')?.version, before.find((u) => u.sku === 'K-1')?.version)
    assert.deepEqual((await catalog.lookupProduct('K-1')).product.units, [
      { unit: 'box12', factor: '24', barcode: 'K-BOX-1' },
      { unit: 'pack6', factor: '6', barcode: null },
    ])
    assert.deepEqual((await catalog.lookupProduct('KN-BOX-0')).product.units, [{ unit: 'box12', factor: '12', barcode: 'KN-BOX-0' }])
  })

  test('bulk with bad lines writes nothing and names the lines', async () => {
    await createUnits(ctx.db, ['each', 'box12'])
    const headers = await writer()
    const products = bulkLines('B', 1500)
    products[1200] = { ...products[1200]!, units: [{ unit: 'crate', factor: 24 }] }
    products[7] = { ...products[7]!, baseUnit: 'litre' }
    const unknownUnit = await app.http.inject({ method: 'POST', url: '/api/products/bulk', headers, payload: { products } })
    assert.equal(unknownUnit.statusCode, 422, unknownUnit.body)
    assert.equal(unknownUnit.json().error.code, 'CATALOG_UNKNOWN_UNIT')
    assert.deepEqual(unknownUnit.json().error.details, {
      count: 2,
      lines: [
        { field: '/products/7', sku: 'B-7', units: ['litre'] },
        { field: '/products/1200', sku: 'B-1200', units: ['crate'] },
      ],
    })
    assert.equal(await productCount(ctx.db), 0)
    assert.deepEqual((await app.http.inject({ method: 'GET', url: '/api/categories' })).json().items, [])

    const invalidLines = bulkLines('C', 5)
    invalidLines[1] = { ...invalidLines[1]!, price: '1.999' }
    invalidLines[3] = { ...invalidLines[3]!, sku: 'C-0' }
    invalidLines[4] = { ...invalidLines[4]!, barcode: 'C-EAN-2' }
    const bad = await app.http.inject({ method: 'POST', url: '/api/products/bulk', headers, payload: { products: invalidLines } })
    assert.equal(bad.statusCode, 422)
    assert.equal(bad.json().error.code, 'CATALOG_INVALID_PRODUCTS')
    assert.deepEqual(
      bad.json().error.details.lines.map((l: { field: string; code: string; message: string }) => [l.field, l.code, l.message]),
      [
        ['/products/1', 'CATALOG_INVALID_PRICE', 'products[1].price may have at most 2 decimals.'],
        ['/products/3', 'CATALOG_DUPLICATE_SKU', 'products[3]: SKU C-0 is on products[0] already.'],
        ['/products/4', 'CATALOG_DUPLICATE_BARCODE', 'products[4]: barcode C-EAN-2 is on products[2] already.'],
      ],
    )

    await createUnits(ctx.db, ['kg'])
    const ok = await app.http.inject({ method: 'POST', url: '/api/products/bulk', headers, payload: { products: bulkLines('D', 2) } })
    assert.equal(ok.statusCode, 200, ok.body)
    const taken = bulkLines('E', 2)
    taken[1] = { ...taken[1]!, units: [{ unit: 'box12', factor: 12, barcode: 'D-EAN-0' }] }
    const conflictResponse = await app.http.inject({ method: 'POST', url: '/api/products/bulk', headers, payload: { products: taken } })
    assert.equal(conflictResponse.statusCode, 409)
    assert.equal(conflictResponse.json().error.code, 'CATALOG_BARCODE_EXISTS')
    assert.deepEqual(conflictResponse.json().error.details.lines, [{ field: '/products/1', sku: 'E-1', barcode: 'D-EAN-0', ownerSku: 'D-0' }])
    const rebased = await app.http.inject({
      method: 'POST',
      url: '/api/products/bulk',
      headers,
      payload: { products: [{ ...bulkLines('D', 1)[0]!, baseUnit: 'kg', units: [] }] },
    })
    assert.equal(rebased.json().error.code, 'CATALOG_BASE_UNIT_IMMUTABLE')
    assert.equal(await productCount(ctx.db), 2)
    const tooMany = await app.http.inject({
      method: 'POST',
      url: '/api/products/bulk',
      headers,
      payload: { products: Array.from({ length: 10_001 }, (_, i) => ({ sku: `Z${i}`, name: 'z', baseUnit: 'each', price: 1 })) },
    })
    assert.equal(tooMany.statusCode, 400)
  })

  test('a chunk the database refuses writes nothing — no category, product or unit of it — and earlier chunks stay', async () => {
    await createUnits(ctx.db, ['each', 'box12'])
    const { principal } = await createToken(ctx.db, 'manager')
    const catalog = createCatalogService(ctx.db)
    const products = bulkLines('R', BULK_CHUNK_SIZE + 500).map((p, i) => (i < BULK_CHUNK_SIZE ? p : { ...p, category: 'Late' }))
    // Another writer takes a barcode of the second chunk after every line was checked and the first chunk committed.
    const takeBarcode = async ({ done }: { done: number }) => {
      if (done !== BULK_CHUNK_SIZE) return
      const rival = { sku: 'RIVAL', name: 'Rival', base_unit: 'each', price: '1', barcode: 'R-EAN-1200' }
      await ctx.db.primary.insertInto('product').values(rival).execute()
    }
    await assert.rejects(catalog.bulkUpsertProducts(principal, { products }, { onProgress: takeBarcode }), (error: AppError) => {
      assert.equal(error.kind, 'conflict')
      assert.equal(error.code, 'CATALOG_BARCODE_EXISTS')
      assert.deepEqual(error.details, {
        count: 1,
        lines: [{ field: '/products/1200', sku: 'R-1200', barcode: 'R-EAN-1200', ownerSku: 'RIVAL' }],
        written: BULK_CHUNK_SIZE,
      })
      assert.match(error.message, /The 1000 lines before products\[1000\] were written; products\[1000\] and those after it/)
      return true
    })

    const stored = await ctx.db.primary
      .selectFrom('product as p')
      .leftJoin('product_unit as pu', 'pu.product_id', 'p.id')
      .select(['p.sku', 'pu.unit_code'])
      .execute()
    const chunkOf = (sku: string) => (sku === 'RIVAL' ? 'rival' : Number(sku.slice(2)) < BULK_CHUNK_SIZE ? 'first' : 'second')
    assert.equal(stored.filter((r) => chunkOf(r.sku) === 'first' && r.unit_code === 'box12').length, BULK_CHUNK_SIZE)
    assert.deepEqual(stored.filter((r) => chunkOf(r.sku) === 'second'), [], 'no product or unit of the refused chunk')
    assert.equal(stored.length, BULK_CHUNK_SIZE + 1)
    const categories = (await catalog.listCategories()).map((c) => c.name).sort()
    assert.deepEqual(categories, ['Drinks', 'Snacks'], 'the category only the refused chunk named was not created')

    products[1200] = { ...products[1200]!, barcode: 'R-EAN-1200-B' }
    const rerun = await catalog.bulkUpsertProducts(principal, { products })
    assert.deepEqual(rerun, { total: 1500, created: 500, updated: 1000, categoriesCreated: 1 })
    assert.equal((await catalog.lookupProduct('R-EAN-1200-B')).product.category?.name, 'Late')
  })
})
