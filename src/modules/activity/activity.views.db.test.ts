import assert from 'node:assert/strict'
import { after, before, beforeEach, test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { expectQueries, statementsOf } from '../../../test/expect-queries.ts'
import { createProduct, createProducts, createToken } from '../../../test/factories.ts'
import type { BriskApp } from '../../app.ts'
import { createActivityService } from './activity.service.ts'
import { openApp, sender, signUpShopper, storedViews } from './activity.test-support.ts'

describeEachDatabase('activity: views', (ctx) => {
  let app: BriskApp
  let staff: string
  before(async () => {
    app = await openApp(ctx.db)
  })
  beforeEach(async () => {
    staff = (await createToken(ctx.db, 'cashier')).token
  })
  after(async () => {
    await app?.close()
  })
  const send = sender(() => app)

  test("seed 003's case: 100 views (by id and by SKU) in one statement", async () => {
    const products = await createProducts(ctx.db, 10)
    const shopper = await signUpShopper(app)
    const views = Array.from({ length: 100 }, (_, i) => {
      const product = products[i % 10]!
      return i % 2 === 0 ? { productId: product.id, sessionId: `s-${i}` } : { sku: product.sku, customerId: shopper.id, source: 'app' }
    })
    await send('GET', `/api/activity/products/${products[0]!.id}/views?from=2026-01-01&to=2026-01-02`, staff) // caches the token
    const response = await send('POST', '/api/activity/views', staff, { views })
    assert.equal(response.statusCode, 201, response.body)
    assert.deepEqual(response.json(), { recorded: 100 })
    assert.ok(statementsOf(response) <= 3, `${statementsOf(response)} statements`)
    assert.equal(statementsOf(response), 1)
    const stored = await storedViews(ctx.db)
    assert.equal(stored.length, 100)
    assert.deepEqual(stored[1], { product_id: products[1]!.id, customer_id: shopper.id, session_id: null, source: 'app' })
    assert.deepEqual(stored[2], { product_id: products[2]!.id, customer_id: null, session_id: 's-2', source: 'web' })
    const service = createActivityService(ctx.db)
    await expectQueries(1, () => service.recordViews({ staff: true }, views.concat(views, views, views, views)))
  })

  test('an unknown product or customer refuses the batch naming each bad row, and nothing is written', async () => {
    const product = await createProduct(ctx.db)
    const views = [
      { productId: product.id, sessionId: 'a' },
      { productId: product.id, sessionId: 'a' },
      { productId: product.id, sessionId: 'a' },
      { productId: 999_999_999, sessionId: 'a' },
      { sku: 'NO-SUCH-SKU', sessionId: 'a' },
      { productId: product.id, customerId: 999_999_999 },
    ]
    const response = await send('POST', '/api/activity/views', staff, { views })
    assert.equal(response.statusCode, 422, response.body)
    const { error } = response.json()
    assert.equal(error.code, 'ACTIVITY_UNKNOWN_REFERENCE')
    assert.deepEqual(error.details, {
      field: '/views/3/productId',
      rows: [{ field: '/views/3/productId' }, { field: '/views/4/sku' }, { field: '/views/5/customerId' }],
    })
    assert.deepEqual(await storedViews(ctx.db), [])
  })

  test('a view needs one product reference and a viewer, named by path', async () => {
    const product = await createProduct(ctx.db)
    const both = await send('POST', '/api/activity/views', staff, { views: [{ productId: product.id, sku: product.sku, sessionId: 'a' }] })
    assert.equal(both.statusCode, 422)
    assert.equal(both.json().error.details.field, '/views/0/productId')
    const nobody = await send('POST', '/api/activity/views', staff, { views: [{ productId: product.id, sessionId: 'a' }, { productId: product.id }] })
    assert.equal(nobody.statusCode, 422)
    assert.equal(nobody.json().error.details.field, '/views/1/sessionId')
    const anonymous = await send('POST', '/api/activity/views', undefined, { views: [{ productId: product.id, sessionId: 'a' }] })
    assert.equal(anonymous.statusCode, 401)
    assert.deepEqual(await storedViews(ctx.db), [])
  })

  test('a signed-in shopper records only their own views', async () => {
    const product = await createProduct(ctx.db)
    const shopper = await signUpShopper(app)
    const other = await signUpShopper(app)
    const response = await send('POST', '/api/activity/views', shopper.token, {
      views: [{ productId: product.id, customerId: other.id }, { sku: product.sku, sessionId: 'tab-1', source: 'email' }],
    })
    assert.equal(response.statusCode, 201, response.body)
    assert.ok(statementsOf(response) <= 3, `${statementsOf(response)} statements`)
    assert.deepEqual(await storedViews(ctx.db), [
      { product_id: product.id, customer_id: shopper.id, session_id: null, source: 'web' },
      { product_id: product.id, customer_id: shopper.id, session_id: 'tab-1', source: 'email' },
    ])
    const mine = await send('GET', `/api/activity/customers/${shopper.id}/views`, shopper.token)
    assert.equal(mine.statusCode, 401, 'reading views is for staff')
  })

  test("a customer's recent views, newest first, in one statement", async () => {
    const [a, b] = await createProducts(ctx.db, 2)
    const shopper = await signUpShopper(app)
    const views = [
      { productId: a!.id, customerId: shopper.id, viewedAt: '2026-03-01T10:00:00Z' },
      { productId: b!.id, customerId: shopper.id, viewedAt: '2026-03-02T10:00:00Z' },
      { productId: a!.id, customerId: shopper.id, viewedAt: '2026-03-03' },
      { productId: b!.id, sessionId: 'someone else' },
    ]
    assert.equal((await send('POST', '/api/activity/views', staff, { views })).statusCode, 201)
    const response = await send('GET', `/api/activity/customers/${shopper.id}/views?limit=2`, staff)
    assert.equal(response.statusCode, 200, response.body)
    assert.equal(statementsOf(response), 1)
    const { items } = response.json()
    assert.deepEqual(
      items.map((v: { productId: number; viewedAt: string; sku: string }) => [v.productId, v.viewedAt, v.sku]),
      [
        [a!.id, '2026-03-03T00:00:00.000Z', a!.sku],
        [b!.id, '2026-03-02T10:00:00.000Z', b!.sku],
      ],
    )
    assert.equal((await send('GET', '/api/activity/customers/999999999/views', staff)).statusCode, 404)
  })

  test("a product's views per local day and source, in one statement", async () => {
    const product = await createProduct(ctx.db)
    const at = (viewedAt: string, source: string) => ({ productId: product.id, sessionId: 'x', source, viewedAt })
    const views = [
      at('2026-03-01T23:30:00Z', 'web'), // 2 March in Berlin (UTC+1)
      at('2026-03-01T12:00:00Z', 'web'),
      at('2026-03-01T12:00:00Z', 'app'),
      at('2026-03-02T12:00:00Z', 'web'),
      at('2026-03-05T12:00:00Z', 'web'), // after the range
    ]
    assert.equal((await send('POST', '/api/activity/views', staff, { views })).statusCode, 201)
    const url = `/api/activity/products/${product.id}/views?from=2026-03-01&to=2026-03-02`
    const utc = await send('GET', url, staff)
    assert.equal(utc.statusCode, 200, utc.body)
    assert.equal(statementsOf(utc), 1)
    assert.deepEqual(utc.json().items, [
      { day: '2026-03-01', source: 'app', views: 1 },
      { day: '2026-03-01', source: 'web', views: 2 },
      { day: '2026-03-02', source: 'web', views: 1 },
    ])
    const berlin = await send('GET', `${url}&timeZone=Europe/Berlin`, staff)
    assert.deepEqual(berlin.json().items, [
      { day: '2026-03-01', source: 'app', views: 1 },
      { day: '2026-03-01', source: 'web', views: 1 },
      { day: '2026-03-02', source: 'web', views: 2 },
    ])
    const backwards = await send('GET', `/api/activity/products/${product.id}/views?from=2026-03-02&to=2026-03-01`, staff)
    assert.equal(backwards.statusCode, 422)
    assert.equal(backwards.json().error.details.field, '/to')
    const zone = await send('GET', `${url}&timeZone=Mars/Olympus`, staff)
    assert.equal(zone.statusCode, 422)
    assert.equal((await send('GET', '/api/activity/products/999999999/views?from=2026-03-01&to=2026-03-02', staff)).statusCode, 404)
    const count = await sql<{ n: number }>`select count(*)::int as n from product_view`.execute(ctx.db.primary)
    assert.equal(count.rows[0]!.n, 5)
  })
})
