/**
 * Two app instances (two processes, as far as the cache can tell: each has its own memory tier)
 * sharing one database and one Redis: a write through one is seen by the other at its next request.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { type BriskApp, buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config/config.ts'
import { describeEachDatabase } from './db.ts'
import { createProduct, createToken, createUnits } from './factories.ts'

const redisUrl = process.env['BRISK_TEST_REDIS_URL'] || undefined
/** Bus messages arrive in about a millisecond here; this bounds the wait, far below the TTLs (2 s for tokens). */
const BUS_BOUND_MS = 500

/** Polls `read` until `done` holds, or fails after `boundMs`; answers how long it took. */
async function within<T>(boundMs: number, read: () => Promise<T>, done: (value: T) => boolean): Promise<number> {
  const startedAt = Date.now()
  for (;;) {
    const value = await read()
    if (done(value)) return Date.now() - startedAt
    if (Date.now() - startedAt > boundMs) assert.fail(`not within ${boundMs} ms: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

if (!redisUrl) {
  test('two processes sharing Redis', { skip: 'BRISK_TEST_REDIS_URL is not set (CI sets it)' }, () => {})
} else {
  describeEachDatabase('two processes sharing Redis', (ctx) => {
    let a: BriskApp
    let b: BriskApp
    before(async () => {
      const config = loadConfig({}, { logLevel: 'silent', redisUrl, cachePrefix: `test-${randomBytes(6).toString('hex')}` })
      a = await buildApp(config, { db: ctx.db, migrate: false })
      b = await buildApp(config, { db: ctx.db, migrate: false })
    })
    after(async () => {
      await a?.cache.clear()
      await a?.close()
      await b?.close()
    })

    test('a price changed through A is what B serves at its next request', async () => {
      const product = await createProduct(ctx.db, { price: '1.00' })
      const { authorization } = await createToken(ctx.db, 'admin')
      const headers = { authorization }
      const readB = async () => (await b.http.inject({ method: 'GET', url: `/api/products/${product.id}`, headers })).json().price
      assert.equal(await readB(), '1.00')
      assert.equal(await readB(), '1.00')
      const patched = await a.http.inject({ method: 'PATCH', url: `/api/products/${product.id}`, headers, payload: { price: '1.25' } })
      assert.equal(patched.statusCode, 200, patched.body)
      await within(BUS_BOUND_MS, readB, (price) => price === '1.25')
    })

    test('a token revoked through A is refused by B within the bus latency, not its 2 s TTL', async () => {
      const admin = { authorization: (await createToken(ctx.db, 'admin')).authorization }
      const cashier = await createToken(ctx.db, 'cashier')
      const askB = async () =>
        (await b.http.inject({ method: 'GET', url: '/api/locations', headers: { authorization: cashier.authorization } })).statusCode
      assert.equal(await askB(), 200)
      const revoked = await a.http.inject({ method: 'POST', url: `/api/tokens/${cashier.principal.tokenId}/revoke`, headers: admin })
      assert.equal(revoked.statusCode, 200, revoked.body)
      await within(BUS_BOUND_MS, askB, (status) => status === 401)
    })

    test('a product created through A after B remembered its SKU as unknown is sold by B', async () => {
      const { authorization } = await createToken(ctx.db, 'admin')
      const headers = { authorization }
      const lookUp = async () => (await b.http.inject({ method: 'GET', url: '/api/products/lookup?code=NEW-1', headers })).statusCode
      assert.equal(await lookUp(), 404)
      await createUnits(ctx.db, ['each'])
      const created = await a.http.inject({
        method: 'POST',
        url: '/api/products',
        headers,
        payload: { sku: 'NEW-1', name: 'New', baseUnit: 'each', price: '4.00' },
      })
      assert.equal(created.statusCode, 201, created.body)
      await within(BUS_BOUND_MS, lookUp, (status) => status === 200)
    })

    test("a cached product is B's from Redis when A loaded it: B's first read sends no statement", async () => {
      const product = await createProduct(ctx.db, { price: '7.00' })
      const { authorization } = await createToken(ctx.db, 'admin')
      const headers = { authorization }
      await a.http.inject({ method: 'GET', url: `/api/products/${product.id}`, headers })
      await b.http.inject({ method: 'GET', url: '/api/locations', headers }) // B's token lookup, so the next read is only the product
      // A stores what it loaded in Redis in the background
      await within(BUS_BOUND_MS, async () => {
        const response = await b.http.inject({ method: 'GET', url: `/api/products/${product.id}`, headers })
        b.cache.clearMemory()
        return String(response.headers['server-timing'])
      }, (timing) => timing.startsWith('db;desc="0 statements"'))
    })
  })
}
