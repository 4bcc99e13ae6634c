/**
 * The catalog's writes and the cache tiers: a write evicts after its commit and only after it, so
 * a write whose transaction rolls back evicts nothing and caches nothing.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import { createProduct, createToken } from '../../../test/factories.ts'
import { memoryOnlyCache } from '../../infra/cache/cache.ts'
import { createCatalogService } from './catalog.service.ts'

describeEachDatabase('catalog: the cache and rolled-back writes', (ctx) => {
  async function setUp() {
    const cache = memoryOnlyCache()
    const catalog = createCatalogService(ctx.db, cache)
    const { principal } = await createToken(ctx.db, 'admin')
    const cola = await createProduct(ctx.db, { sku: 'COLA', price: '1.00' })
    await createProduct(ctx.db, { sku: 'TAKEN' })
    return { cache, catalog, principal, cola }
  }

  const priceInDatabase = async (id: number) =>
    (await ctx.db.primary.selectFrom('product').select('price').where('id', '=', id).executeTakeFirstOrThrow()).price

  test('an update that wrote its price, then failed on a unique SKU, leaves the cached product in place and readable', async () => {
    const { cache, catalog, principal, cola } = await setUp()
    const before = await catalog.getProduct(cola.id)
    await assert.rejects(catalog.updateProduct(principal, cola.id, { price: '2.00', sku: 'TAKEN' }), { kind: 'conflict' })
    assert.equal(cache.counters.product.evictions, 0, 'nothing evicted')
    const { result, count } = await countQueries(() => catalog.getProduct(cola.id))
    assert.equal(count, 0, 'still served from the cache')
    assert.deepEqual(result, before)
    assert.equal(result.price, '1.00')
    assert.equal(Number(await priceInDatabase(cola.id)), 1)
  })

  test('an update refused inside its transaction (the base unit is immutable) evicts nothing', async () => {
    const { cache, catalog, principal, cola } = await setUp()
    const before = await catalog.getProduct(cola.id)
    await assert.rejects(catalog.updateProduct(principal, cola.id, { price: '2.00', baseUnit: 'kg' }), {
      code: 'CATALOG_BASE_UNIT_IMMUTABLE',
    })
    assert.equal(cache.counters.product.evictions, 0)
    const { result, count } = await countQueries(() => catalog.getProduct(cola.id))
    assert.equal(count, 0)
    assert.deepEqual(result, before)
  })

  test('a rolled-back write on a product nobody read caches nothing', async () => {
    const { cache, catalog, principal, cola } = await setUp()
    await assert.rejects(catalog.updateProduct(principal, cola.id, { price: '2.00', sku: 'TAKEN' }), { kind: 'conflict' })
    assert.equal(cache.memory.entries, 0)
    assert.equal((await catalog.getProduct(cola.id)).price, '1.00')
  })

  test('a committed update evicts: the next read loads the new price', async () => {
    const { cache, catalog, principal, cola } = await setUp()
    await catalog.getProduct(cola.id)
    await catalog.updateProduct(principal, cola.id, { price: '2.00' })
    assert.ok(cache.counters.product.evictions > 0)
    assert.equal((await catalog.getProduct(cola.id)).price, '2.00')
  })
})
