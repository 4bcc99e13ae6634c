import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { statementsOf } from '../../../test/expect-queries.ts'
import { addStock, createLocation, createProduct, createToken, createUnits } from '../../../test/factories.ts'
import { useCatalogApp } from './catalog.test-support.ts'

describeEachDatabase('catalog on the cache tiers', (ctx) => {
  const { app, writer } = useCatalogApp(ctx)

  async function newProduct(headers: Record<string, string>) {
    await createUnits(ctx.db, ['each', 'box12'])
    const created = await app.http.inject({
      method: 'POST',
      url: '/api/products',
      headers,
      payload: {
        sku: 'TEA-1',
        barcode: '4000000000017',
        name: 'Tea',
        baseUnit: 'each',
        price: '2.50',
        taxRate: '7',
        units: [{ unit: 'box12', factor: '12', barcode: '4000000000024' }],
      },
    })
    assert.equal(created.statusCode, 201, created.body)
    return created.json() as { id: number; price: string }
  }

  test('product reads by id, SKU, barcode and unit barcode cost 0 statements once warm, the token included', async () => {
    const headers = await writer()
    const product = await newProduct(headers)
    const reads = [
      `/api/products/${product.id}`,
      '/api/products/lookup?code=TEA-1',
      '/api/products/lookup?code=4000000000017',
      '/api/products/lookup?code=4000000000024',
    ]
    for (const url of reads) {
      const cold = await app.http.inject({ method: 'GET', url, headers })
      assert.equal(cold.statusCode, 200, cold.body)
      const warm = await app.http.inject({ method: 'GET', url, headers })
      assert.equal(warm.statusCode, 200)
      assert.equal(statementsOf(warm), 0, `${url} warm`)
      assert.deepEqual(warm.json(), cold.json())
    }
    const box = await app.http.inject({ method: 'GET', url: '/api/products/lookup?code=4000000000024', headers })
    assert.equal(box.json().unit, 'box12')
    assert.equal(box.json().factor, '12')
  })

  test('a page of products is one id statement, its products from the cache; a write shows at once', async () => {
    const headers = await writer()
    const product = await newProduct(headers)
    await app.http.inject({ method: 'GET', url: '/api/products?limit=10', headers })
    const page = await app.http.inject({ method: 'GET', url: '/api/products?limit=10', headers })
    assert.equal(statementsOf(page), 1)
    assert.equal(page.json().items[0].price, '2.50')
    const patched = await app.http.inject({ method: 'PATCH', url: `/api/products/${product.id}`, headers, payload: { price: '2.75' } })
    assert.equal(patched.statusCode, 200, patched.body)
    const after = await app.http.inject({ method: 'GET', url: `/api/products/${product.id}`, headers })
    assert.equal(after.json().price, '2.75')
    const pageAfter = await app.http.inject({ method: 'GET', url: '/api/products?limit=10', headers })
    assert.equal(pageAfter.json().items[0].price, '2.75')
  })

  test('a write that rolls back evicts nothing and caches nothing', async () => {
    const headers = await writer()
    const product = await newProduct(headers)
    const before = await app.http.inject({ method: 'GET', url: `/api/products/${product.id}`, headers })
    await createProduct(ctx.db, { sku: 'TAKEN' })
    // the update statement itself fails on the unique SKU, inside the transaction that locked the product
    const refused = await app.http.inject({
      method: 'PATCH',
      url: `/api/products/${product.id}`,
      headers,
      payload: { price: '9.99', sku: 'TAKEN' },
    })
    assert.equal(refused.statusCode, 409, refused.body)
    const after = await app.http.inject({ method: 'GET', url: `/api/products/${product.id}`, headers })
    assert.equal(statementsOf(after), 0, 'still cached')
    assert.deepEqual(after.json(), before.json())
    const stored = await ctx.db.primary.selectFrom('product').select('price').where('id', '=', product.id).executeTakeFirstOrThrow()
    assert.equal(String(stored.price), '2.50')
  })

  test('with a warm cache a POS sale is one statement; a price changed behind the cache is never sold', async () => {
    const headers = await writer()
    const product = await newProduct(headers)
    const location = await createLocation(ctx.db)
    await addStock(ctx.db, location.id, [{ productId: product.id, quantity: '100' }])
    const cashier = { authorization: (await createToken(ctx.db, 'cashier')).authorization }
    const sell = () =>
      app.http.inject({
        method: 'POST',
        url: '/api/sales/invoices',
        headers: cashier,
        payload: {
          locationId: location.id,
          lines: [{ productId: product.id, quantity: 2 }],
          payments: [{ method: 'cash', amount: '100' }],
          submit: true,
        },
      })
    assert.equal((await sell()).statusCode, 201)
    const warm = await sell()
    assert.equal(warm.statusCode, 201, warm.body)
    assert.equal(statementsOf(warm), 1)
    // a change no eviction reached (SQL by hand): the sale's own statement refuses the cached price
    await ctx.db.primary.updateTable('product').set({ price: '3.00' }).where('id', '=', product.id).execute()
    const stale = await sell()
    assert.equal(stale.statusCode, 201, stale.body)
    assert.equal(stale.json().lines[0].unitPrice, '3.00')
  })

  test('locations are listed from the cache; a new location shows at once', async () => {
    const headers = await writer()
    await app.http.inject({ method: 'GET', url: '/api/locations', headers })
    const warm = await app.http.inject({ method: 'GET', url: '/api/locations', headers })
    assert.equal(statementsOf(warm), 0)
    const created = await app.http.inject({ method: 'POST', url: '/api/locations', headers, payload: { code: 'NEW', name: 'New' } })
    assert.equal(created.statusCode, 201, created.body)
    const listed = await app.http.inject({ method: 'GET', url: '/api/locations', headers })
    assert.ok(listed.json().items.some((l: { code: string }) => l.code === 'NEW'))
  })
})
