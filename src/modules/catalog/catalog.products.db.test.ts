import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { statementsOf } from '../../../test/expect-queries.ts'
import { createToken, createUnits } from '../../../test/factories.ts'
import { resolveLines } from './catalog.quantities.ts'
import { createCatalogService } from './catalog.service.ts'
import { productCount, useCatalogApp } from './catalog.test-support.ts'

describeEachDatabase('catalog: products', (ctx) => {
  const { app, writer } = useCatalogApp(ctx)

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

    const got = await app.http.inject({ method: 'GET', url: `/api/products/${product.id}` })
    assert.equal(got.statusCode, 200)
    assert.equal(statementsOf(got), 1, 'the product with its units and category, in one statement')
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
    // errors name the field by its path in the request
    const units = [
      { unit: 'box12', factor: 12 },
      { unit: 'crate', factor: 2 },
    ]
    const crate = await post({ ...base, sku: 'B', barcode: null, units })
    assert.deepEqual(
      [crate.json().error.message, crate.json().error.details],
      ['Unknown unit: units[1].unit crate.', { units: ['crate'], fields: ['/units/1/unit'] }],
    )
    const factor = await post({ ...base, sku: 'B', barcode: null, units: [{ unit: 'box12', factor: 0 }] })
    assert.deepEqual(
      [factor.json().error.message, factor.json().error.details],
      ['units[0].factor must be above 0.', { field: '/units/0/factor' }],
    )
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
      const response: Awaited<ReturnType<typeof app.http.inject>> = await app.http.inject({ method: 'GET', url: `/api/products?limit=4&after=${after}` })
      assert.equal(response.statusCode, 200, response.body)
      assert.ok(statementsOf(response) <= 2, 'the ids of a page, then its products not cached yet in one statement')
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

    const box = await lookup('4007')
    assert.equal(box.statusCode, 200, box.body)
    assert.equal(statementsOf(box), 2, 'what the code names, then the product with its units and category')
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
})
