import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { createToken, createUnits } from '../../../test/factories.ts'
import { productCount, useCatalogApp } from './catalog.test-support.ts'

describeEachDatabase('catalog: routes', (ctx) => {
  const { app } = useCatalogApp(ctx)

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
})
