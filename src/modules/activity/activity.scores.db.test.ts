import assert from 'node:assert/strict'
import { after, before, beforeEach, test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries, statementsOf } from '../../../test/expect-queries.ts'
import { createProduct, createProducts, createToken } from '../../../test/factories.ts'
import type { BriskApp } from '../../app.ts'
import type { Principal } from '../access/index.ts'
import { createActivityService } from './activity.service.ts'
import { openApp, sender, signUpShopper } from './activity.test-support.ts'

describeEachDatabase('activity: recommendation scores', (ctx) => {
  let app: BriskApp
  let admin: { token: string; principal: Principal }
  before(async () => {
    app = await openApp(ctx.db)
  })
  beforeEach(async () => {
    admin = await createToken(ctx.db, 'admin')
  })
  after(async () => {
    await app?.close()
  })
  const send = sender(() => app)

  async function storedScores() {
    const { rows } = await sql<{ customer_id: number; product_id: number; algorithm: string; score: string }>`
      select customer_id::int as customer_id, product_id::int as product_id, algorithm, score::text as score
      from recommendation_score order by customer_id, algorithm, product_id`.execute(ctx.db.primary)
    return rows
  }

  test("seed 003's case: 50 scores in one statement, and 500 in as many", async () => {
    const products = await createProducts(ctx.db, 50)
    const customers = [await signUpShopper(app), await signUpShopper(app)]
    const scores = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        customerId: customers[Math.floor(i / 50) % 2]!.id,
        productId: products[i % 50]!.id,
        algorithm: `algo-${Math.floor(i / 100)}`,
        score: (i / 7).toFixed(6),
      }))
    await send('GET', `/api/activity/customers/${customers[0]!.id}/views`, admin.token) // caches the token
    const response = await send('PUT', '/api/activity/scores', admin.token, { scores: scores(50) })
    assert.equal(response.statusCode, 200, response.body)
    assert.deepEqual(response.json(), { upserted: 50 })
    assert.ok(statementsOf(response) <= 3, `${statementsOf(response)} statements`)
    const service = createActivityService(ctx.db)
    const fifty = await countQueries(() => service.upsertScores(admin.principal, scores(50)))
    const fiveHundred = await countQueries(() => service.upsertScores(admin.principal, scores(500)))
    assert.equal(fifty.count, 1)
    assert.equal(fiveHundred.count, fifty.count)
    assert.equal(fiveHundred.result.upserted, 500)
    assert.equal((await storedScores()).length, 500)
  })

  test('an upsert updates the scores in place', async () => {
    const [a, b] = await createProducts(ctx.db, 2)
    const shopper = await signUpShopper(app)
    const put = (scores: object[]) => send('PUT', '/api/activity/scores', admin.token, { scores })
    assert.equal((await put([{ customerId: shopper.id, productId: a!.id, algorithm: 'cf', score: 0.5 }])).statusCode, 200)
    const again = await put([
      { customerId: shopper.id, sku: a!.sku, algorithm: 'cf', score: '0.75' },
      { customerId: shopper.id, productId: b!.id, algorithm: 'cf', score: 1 },
    ])
    assert.equal(again.statusCode, 200, again.body)
    assert.deepEqual(await storedScores(), [
      { customer_id: shopper.id, product_id: a!.id, algorithm: 'cf', score: '0.750000' },
      { customer_id: shopper.id, product_id: b!.id, algorithm: 'cf', score: '1.000000' },
    ])
  })

  test('unknown rows, duplicate keys and finer scores are refused by path, and nothing is written', async () => {
    const product = await createProduct(ctx.db)
    const shopper = await signUpShopper(app)
    const put = (scores: object[]) => send('PUT', '/api/activity/scores', admin.token, { scores })
    const row = { customerId: shopper.id, productId: product.id, algorithm: 'cf', score: 1 }
    const unknown = await put([row, { ...row, productId: 999_999_999 }, { ...row, customerId: 999_999_999, algorithm: 'x' }])
    assert.equal(unknown.statusCode, 422, unknown.body)
    assert.deepEqual(unknown.json().error.details.rows, [{ field: '/scores/1/productId' }, { field: '/scores/2/customerId' }])
    const duplicate = await put([row, { ...row, algorithm: 'other' }, { customerId: shopper.id, sku: product.sku, algorithm: 'cf', score: 2 }])
    assert.equal(duplicate.statusCode, 422, duplicate.body)
    assert.equal(duplicate.json().error.code, 'ACTIVITY_DUPLICATE_SCORE')
    assert.deepEqual(duplicate.json().error.details.duplicates, [['/scores/0', '/scores/2']])
    const fine = await put([row, { ...row, algorithm: 'other', score: '0.0000001' }])
    assert.equal(fine.statusCode, 422)
    assert.equal(fine.json().error.details.field, '/scores/1/score')
    assert.deepEqual(await storedScores(), [])
  })

  test('concurrent batches over the same keys, given in opposite orders, never deadlock', async () => {
    const products = await createProducts(ctx.db, 100)
    const customers = [await signUpShopper(app), await signUpShopper(app)]
    const service = createActivityService(ctx.db)
    const batch = (score: string) =>
      customers.flatMap((c) => products.map((p) => ({ customerId: c.id, productId: p.id, algorithm: 'cf', score })))
    const runs = Array.from({ length: 8 }, (_, i) => {
      const scores = batch(String(i))
      return service.upsertScores(admin.principal, i % 2 === 0 ? scores : scores.reverse())
    })
    const results = await Promise.all(runs)
    assert.ok(results.every((r) => r.upserted === 200))
    assert.equal((await storedScores()).length, 200)
  })

  test('only admins and managers write scores', async () => {
    const product = await createProduct(ctx.db)
    const shopper = await signUpShopper(app)
    const cashier = await createToken(ctx.db, 'cashier')
    const scores = [{ customerId: shopper.id, productId: product.id, algorithm: 'cf', score: 1 }]
    assert.equal((await send('PUT', '/api/activity/scores', cashier.token, { scores })).statusCode, 403)
    assert.equal((await send('PUT', '/api/activity/scores', shopper.token, { scores })).statusCode, 401)
    const manager = await createToken(ctx.db, 'manager')
    assert.equal((await send('PUT', '/api/activity/scores', manager.token, { scores })).statusCode, 200)
  })

  test('top recommendations, best score first, for the shopper and for staff, in one statement each', async () => {
    const products = await createProducts(ctx.db, 4)
    const shopper = await signUpShopper(app)
    const other = await signUpShopper(app)
    const score = (customerId: number, i: number, value: string, algorithm = 'cf') => ({ customerId, productId: products[i]!.id, algorithm, score: value })
    const scores = [
      score(shopper.id, 0, '0.1'),
      score(shopper.id, 1, '0.9'),
      score(shopper.id, 2, '0.5'),
      score(shopper.id, 3, '0.99', 'trending'),
      score(other.id, 0, '5'),
      score(shopper.id, 3, '0.7'),
    ]
    assert.equal((await send('PUT', '/api/activity/scores', admin.token, { scores })).statusCode, 200)
    await sql`update product set active = false where id = ${products[2]!.id}`.execute(ctx.db.primary)
    const mine = await send('GET', '/api/store/recommendations?algorithm=cf&limit=3', shopper.token)
    assert.equal(mine.statusCode, 200, mine.body)
    assert.equal(mine.json().algorithm, 'cf')
    assert.deepEqual(
      mine.json().items.map((r: { productId: number; score: string }) => [r.productId, r.score]),
      [
        [products[1]!.id, '0.900000'],
        [products[3]!.id, '0.700000'],
        [products[0]!.id, '0.100000'],
      ],
    )
    assert.equal(mine.json().items[0].sku, products[1]!.sku)
    assert.equal(mine.json().items[0].price, products[1]!.price)
    const staff = await send('GET', `/api/activity/customers/${shopper.id}/recommendations?algorithm=cf&limit=1`, admin.token)
    assert.equal(staff.statusCode, 200, staff.body)
    assert.equal(statementsOf(staff), 1)
    assert.deepEqual(staff.json().items.map((r: { productId: number }) => r.productId), [products[1]!.id])
    assert.equal((await send('GET', '/api/store/recommendations?algorithm=cf', admin.token)).statusCode, 401)
    assert.equal((await send('GET', '/api/activity/customers/999999999/recommendations?algorithm=cf', admin.token)).statusCode, 404)
  })
})
