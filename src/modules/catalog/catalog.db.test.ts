import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries, expectQueries } from '../../../test/expect-queries.ts'
import { createToken, createUnits } from '../../../test/factories.ts'
import { type BriskApp, buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import type { Db } from '../../infra/db/database.ts'
import { resolveLines } from './catalog.quantities.ts'
import { BULK_CHUNK_SIZE, type BulkProductInput, createCatalogService } from './catalog.service.ts'

async function productCount(db: Db): Promise<number> {
  const row = await db.primary
    .selectFrom('product')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

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

describeEachDatabase('catalog', (ctx) => {
  let app: BriskApp
  before(async () => {
    app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })
  })
  after(async () => {
    await app.close()
  })

  async function writer(role: 'admin' | 'manager' = 'admin') {
    const { authorization } = await createToken(ctx.db, role)
    return { authorization }
  }

  test('units and categories: create and list; duplicates and unknown parents are refused', async () => {
    const headers = await writer('manager')
    const unit = await app.http.inject({ method: 'POST', url: '/api/units', headers, payload: { code: 'box12', name: 'Box of 12' } })
    assert.equal(unit.statusCode, 201, unit.body)
    assert.deepEqual(unit.json(), { code: 'box12', name: 'Box of 12' })
    const again = await app.http.inject({ method: 'POST', url: '/api/units', headers, payload: { code: 'box12', name: 'x' } })
    assert.equal(again.statusCode, 409)
    assert.equal(again.json().error.code, 'CATALOG_UNIT_EXISTS')
    const badCode = await app.http.inject({ method: 'POST', url: '/api/units', headers, payload: { code: 'Box 12', name: 'x' } })
    assert.equal(badCode.statusCode, 400)

    const drinks = await app.http.inject({ method: 'POST', url: '/api/categories', headers, payload: { name: 'Drinks' } })
    assert.equal(drinks.statusCode, 201, drinks.body)
    const soda = await app.http.inject({
      method: 'POST',
      url: '/api/categories',
      headers,
      payload: { name: 'Soda', parentId: drinks.json().id },
    })
    assert.equal(soda.json().parentId, drinks.json().id)
    const orphan = await app.http.inject({ method: 'POST', url: '/api/categories', headers, payload: { name: 'X', parentId: 999 } })
    assert.equal(orphan.statusCode, 422)
    assert.equal(orphan.json().error.code, 'CATALOG_UNKNOWN_CATEGORY')
    const dup = await app.http.inject({ method: 'POST', url: '/api/categories', headers, payload: { name: 'Drinks' } })
    assert.equal(dup.json().error.code, 'CATALOG_CATEGORY_EXISTS')

    const units = await app.http.inject({ method: 'GET', url: '/api/units' })
    assert.deepEqual(units.json().items, [{ code: 'box12', name: 'Box of 12' }])
    const categories = await app.http.inject({ method: 'GET', url: '/api/categories' })
    assert.deepEqual(
      categories.json().items.map((c: { name: string }) => c.name),
      ['Drinks', 'Soda'],
    )
  })

  test('create, get and update a product with its units and category; money stays exact', async () => {
    await createUnits(ctx.db, ['each', 'box12', 'pack6', 'kg', 'g'])
    const headers = await writer()
    const category = (await app.http.inject({ method: 'POST', url: '/api/categories', headers, payload: { name: 'Drinks' } })).json()
    const created = await app.http.inject({
      method: 'POST',
      url: '/api/products',
      headers,
      payload: {
        sku: 'COLA-33',
        barcode: '5000112637922',
        name: 'Cola 33cl',
        categoryId: category.id,
        baseUnit: 'each',
        price: '0.10',
        taxRate: 20.5,
        units: [{ unit: 'box12', factor: '12', barcode: '5000112637939' }],
      },
    })
    assert.equal(created.statusCode, 201, created.body)
    const product = created.json()
    assert.equal(product.price, '0.10')
    assert.equal(product.taxRate, '20.5')
    assert.deepEqual(product.category, { id: category.id, name: 'Drinks' })
    assert.deepEqual(product.units, [{ unit: 'box12', factor: '12', barcode: '5000112637939' }])
    assert.equal(product.active, true)

    const got = await expectQueries(4, () => app.http.inject({ method: 'GET', url: `/api/products/${product.id}` }))
    assert.equal(got.statusCode, 200)
    assert.deepEqual(got.json(), product)

    const patched = await app.http.inject({
      method: 'PATCH',
      url: `/api/products/${product.id}`,
      headers,
      payload: { price: 0.3, categoryId: null, units: [{ unit: 'pack6', factor: 6 }] },
    })
    assert.equal(patched.statusCode, 200, patched.body)
    assert.equal(patched.json().price, '0.30')
    assert.equal(patched.json().category, null)
    assert.equal(patched.json().name, 'Cola 33cl')
    assert.deepEqual(patched.json().units, [{ unit: 'pack6', factor: '6', barcode: null }])

    const cheese = await app.http.inject({
      method: 'POST',
      url: '/api/products',
      headers,
      payload: { sku: 'CHEESE', name: 'Cheese', baseUnit: 'kg', price: '18.99', units: [{ unit: 'g', factor: '0.001' }] },
    })
    assert.equal(cheese.json().units[0].factor, '0.001')
    const [line] = await resolveLines(ctx.db.primary, [{ sku: 'CHEESE', unit: 'g', quantity: '250' }])
    assert.equal(line?.baseQuantity.toFixed(), '0.25')

    const missing = await app.http.inject({ method: 'GET', url: '/api/products/999999' })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json().error.code, 'CATALOG_PRODUCT_NOT_FOUND')
  })

  test('duplicates, unknown references and bad values are refused with the right code and write nothing', async () => {
    await createUnits(ctx.db, ['each', 'box12'])
    const headers = await writer()
    const post = (payload: object) => app.http.inject({ method: 'POST', url: '/api/products', headers, payload })
    const base = { sku: 'A', barcode: 'A-1', name: 'A', baseUnit: 'each', price: '1.00', units: [{ unit: 'box12', factor: 12, barcode: 'A-BOX' }] }
    assert.equal((await post(base)).statusCode, 201)

    const cases: [object, number, string][] = [
      [{ ...base, barcode: 'B-1', units: [] }, 409, 'CATALOG_SKU_EXISTS'],
      [{ ...base, sku: 'B', units: [] }, 409, 'CATALOG_BARCODE_EXISTS'],
      [{ ...base, sku: 'B', barcode: 'A-BOX', units: [] }, 409, 'CATALOG_BARCODE_EXISTS'],
      [{ ...base, sku: 'B', barcode: null, units: [{ unit: 'box12', factor: 12, barcode: 'A-1' }] }, 409, 'CATALOG_BARCODE_EXISTS'],
      [{ ...base, sku: 'B', barcode: null, baseUnit: 'litre' }, 422, 'CATALOG_UNKNOWN_UNIT'],
      [{ ...base, sku: 'B', barcode: null, units: [{ unit: 'crate', factor: 24 }] }, 422, 'CATALOG_UNKNOWN_UNIT'],
      [{ ...base, sku: 'B', barcode: null, units: [], categoryId: 12345 }, 422, 'CATALOG_UNKNOWN_CATEGORY'],
      [{ ...base, sku: 'B', barcode: null, units: [], price: '-0.01' }, 422, 'CATALOG_INVALID_PRICE'],
      [{ ...base, sku: 'B', barcode: null, units: [], price: '1.005' }, 422, 'CATALOG_INVALID_PRICE'],
      [{ ...base, sku: 'B', barcode: null, units: [], price: 1e15 }, 422, 'CATALOG_INVALID_PRICE'],
      [{ ...base, sku: 'B', barcode: null, units: [], taxRate: '100.5' }, 422, 'CATALOG_INVALID_TAX_RATE'],
      [{ ...base, sku: 'B', barcode: null, units: [], taxRate: -1 }, 422, 'CATALOG_INVALID_TAX_RATE'],
      [{ ...base, sku: 'B', barcode: null, units: [{ unit: 'box12', factor: 0 }] }, 422, 'CATALOG_INVALID_FACTOR'],
      [{ ...base, sku: 'B', barcode: null, units: [{ unit: 'each', factor: 1 }] }, 422, 'CATALOG_BASE_UNIT_CONVERSION'],
      [
        { ...base, sku: 'B', barcode: null, units: [{ unit: 'box12', factor: 12 }, { unit: 'box12', factor: 6 }] },
        422,
        'CATALOG_DUPLICATE_UNIT',
      ],
      [{ ...base, sku: 'B', barcode: 'X', units: [{ unit: 'box12', factor: 12, barcode: 'X' }] }, 422, 'CATALOG_DUPLICATE_BARCODE'],
      [{ ...base, sku: 'B', extra: true }, 400, 'VALIDATION_FAILED'],
      [{ ...base, sku: 'B', price: '1,00' }, 400, 'VALIDATION_FAILED'],
    ]
    for (const [payload, status, code] of cases) {
      const response = await post(payload)
      assert.equal(response.statusCode, status, `${JSON.stringify(payload)} → ${response.body}`)
      assert.equal(response.json().error.code, code, JSON.stringify(payload))
    }
    assert.equal(await productCount(ctx.db), 1)

    const id = (await app.http.inject({ method: 'GET', url: '/api/products/lookup?code=A' })).json().product.id
    const patch = (payload: object) => app.http.inject({ method: 'PATCH', url: `/api/products/${id}`, headers, payload })
    assert.equal((await patch({ baseUnit: 'box12' })).json().error.code, 'CATALOG_BASE_UNIT_IMMUTABLE')
    assert.equal((await patch({ baseUnit: 'each', name: 'A2' })).statusCode, 200)
    assert.equal((await patch({})).statusCode, 400)
    assert.equal((await post({ ...base, sku: 'B', barcode: 'B-1', units: [] })).statusCode, 201)
    assert.equal((await patch({ sku: 'B' })).json().error.code, 'CATALOG_SKU_EXISTS')
    assert.equal((await patch({ barcode: 'B-1' })).json().error.code, 'CATALOG_BARCODE_EXISTS')
    assert.equal((await patch({ units: [{ unit: 'box12', factor: 24, barcode: 'B-1' }] })).json().error.code, 'CATALOG_BARCODE_EXISTS')
    const kept = await patch({ units: [{ unit: 'box12', factor: 24, barcode: 'A-BOX' }] })
    assert.deepEqual(kept.json().units, [{ unit: 'box12', factor: '24', barcode: 'A-BOX' }])
    assert.equal((await app.http.inject({ method: 'PATCH', url: '/api/products/999', headers, payload: { name: 'x' } })).statusCode, 404)
  })

  test('reads are public; writes need a token (401) of an admin or manager (403)', async () => {
    await createUnits(ctx.db, ['each'])
    const cashier = await createToken(ctx.db, 'cashier')
    const payload = { sku: 'A', name: 'A', baseUnit: 'each', price: '1.00' }
    const writes = [
      { method: 'POST' as const, url: '/api/units', payload: { code: 'kg', name: 'kg' } },
      { method: 'POST' as const, url: '/api/categories', payload: { name: 'Drinks' } },
      { method: 'POST' as const, url: '/api/products', payload },
      { method: 'PATCH' as const, url: '/api/products/1', payload: { name: 'B' } },
      { method: 'POST' as const, url: '/api/products/bulk', payload: { products: [payload] } },
    ]
    for (const write of writes) {
      const anonymous = await app.http.inject(write)
      assert.equal(anonymous.statusCode, 401, `${write.url}: ${anonymous.body}`)
      assert.equal(anonymous.json().error.code, 'ACCESS_UNAUTHENTICATED')
      const forbidden = await app.http.inject({ ...write, headers: { authorization: cashier.authorization } })
      assert.equal(forbidden.statusCode, 403, `${write.url}: ${forbidden.body}`)
      assert.equal(forbidden.json().error.code, 'ACCESS_ROLE_FORBIDDEN')
    }
    assert.equal(await productCount(ctx.db), 0)
    for (const url of ['/api/units', '/api/categories', '/api/products']) {
      assert.equal((await app.http.inject({ method: 'GET', url })).statusCode, 200, url)
    }
  })

  test('list: keyset pages, filters by category and active, searches name and SKU in any case', async () => {
    await createUnits(ctx.db, ['each'])
    const { principal } = await createToken(ctx.db, 'admin')
    const catalog = createCatalogService(ctx.db)
    await catalog.bulkUpsertProducts(principal, {
      products: [
        ...Array.from({ length: 7 }, (_, i) => ({ sku: `TEA-${i}`, name: `Green Tea ${i}`, category: 'Tea', baseUnit: 'each', price: '2.50' })),
        { sku: 'COF-1', name: 'Coffee beans', category: 'Coffee', baseUnit: 'each', price: '9.90', active: false },
        { sku: 'MUG-100%', name: 'Mug', baseUnit: 'each', price: '5' },
      ],
    })

    const seen: string[] = []
    let after: number | null = 0
    let pages = 0
    while (after !== null) {
      const response = await expectQueries(2, () => app.http.inject({ method: 'GET', url: `/api/products?limit=4&after=${after}` }))
      assert.equal(response.statusCode, 200, response.body)
      const page: { items: { sku: string }[]; nextAfter: number | null } = response.json()
      seen.push(...page.items.map((p) => p.sku))
      after = page.nextAfter
      pages += 1
    }
    assert.equal(pages, 3)
    assert.equal(seen.length, 9)
    assert.equal(new Set(seen).size, 9)

    const list = async (query: string) =>
      (await app.http.inject({ method: 'GET', url: `/api/products?${query}` })).json().items.map((p: { sku: string }) => p.sku)
    const tea = (await app.http.inject({ method: 'GET', url: '/api/categories' })).json().items.find((c: { name: string }) => c.name === 'Tea')
    assert.equal((await list(`categoryId=${tea.id}`)).length, 7)
    assert.deepEqual(await list('active=false'), ['COF-1'])
    assert.equal((await list('active=true')).length, 8)
    assert.deepEqual(await list('q=COFFEE'), ['COF-1'])
    assert.deepEqual(await list('q=cof-'), ['COF-1'])
    assert.equal((await list('q=green%20tea')).length, 7)
    assert.deepEqual(await list('q=100%25'), ['MUG-100%'])
    assert.deepEqual(await list('q=_'), [])
    assert.equal((await app.http.inject({ method: 'GET', url: '/api/products?limit=0' })).statusCode, 400)
    assert.equal((await app.http.inject({ method: 'GET', url: '/api/products?colour=red' })).statusCode, 400)
  })

  test('lookup by product barcode, box barcode and SKU says which unit the code means', async () => {
    await createUnits(ctx.db, ['each', 'box12'])
    const headers = await writer()
    const created = await app.http.inject({
      method: 'POST',
      url: '/api/products',
      headers,
      payload: {
        sku: 'WATER-50',
        barcode: '4006',
        name: 'Water',
        baseUnit: 'each',
        price: '0.59',
        units: [{ unit: 'box12', factor: 12, barcode: '4007' }],
      },
    })
    const id = created.json().id
    const lookup = (code: string) => app.http.inject({ method: 'GET', url: `/api/products/lookup?code=${encodeURIComponent(code)}` })

    const box = await expectQueries(3, () => lookup('4007'))
    assert.equal(box.statusCode, 200, box.body)
    assert.equal(box.json().product.id, id)
    assert.equal(box.json().unit, 'box12')
    assert.equal(box.json().factor, '12')
    assert.equal(box.json().matchedBy, 'unit_barcode')

    assert.deepEqual(
      (({ unit, factor, matchedBy }) => ({ unit, factor, matchedBy }))((await lookup('4006')).json()),
      { unit: 'each', factor: '1', matchedBy: 'barcode' },
    )
    assert.equal((await lookup('WATER-50')).json().matchedBy, 'sku')
    const none = await lookup('nothing')
    assert.equal(none.statusCode, 404)
    assert.equal(none.json().error.code, 'CATALOG_PRODUCT_NOT_FOUND')
  })

  test('bulk upsert of 10, 1000 and 2500 products: statements per chunk do not depend on its size', async () => {
    await createUnits(ctx.db, ['each', 'box12'])
    const { principal } = await createToken(ctx.db, 'admin')
    const catalog = createCatalogService(ctx.db)
    const counts = new Map<number, number>()
    for (const size of [10, 1000, 2500]) {
      const progress: number[] = []
      const { result, count } = await countQueries(() =>
        catalog.bulkUpsertProducts(principal, { products: bulkLines(`S${size}`, size) }, { onProgress: (p) => progress.push(p.done) }),
      )
      assert.equal(result.created, size)
      assert.equal(result.updated, 0)
      assert.equal(progress.at(-1), size)
      assert.equal(progress.length, Math.ceil(size / BULK_CHUNK_SIZE))
      counts.set(size, count)
    }
    const perChunk = (counts.get(2500)! - counts.get(1000)!) / 2
    const fixed = counts.get(1000)! - perChunk
    // begin, products, units, commit
    assert.equal(perChunk, 4)
    // units, existing SKUs, barcode owners, missing categories
    assert.equal(fixed, 4)
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
        { line: 7, sku: 'B-7', units: ['litre'] },
        { line: 1200, sku: 'B-1200', units: ['crate'] },
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
      bad.json().error.details.lines.map((l: { line: number; code: string }) => [l.line, l.code]),
      [
        [1, 'CATALOG_INVALID_PRICE'],
        [3, 'CATALOG_DUPLICATE_SKU'],
        [4, 'CATALOG_DUPLICATE_BARCODE'],
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
    assert.deepEqual(conflictResponse.json().error.details.lines, [{ line: 1, sku: 'E-1', barcode: 'D-EAN-0', ownerSku: 'D-0' }])
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
})
