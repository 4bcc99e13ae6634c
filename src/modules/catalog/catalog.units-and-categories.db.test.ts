import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { useCatalogApp } from './catalog.test-support.ts'

describeEachDatabase('catalog: units and categories', (ctx) => {
  const { app, writer } = useCatalogApp(ctx)

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
})
