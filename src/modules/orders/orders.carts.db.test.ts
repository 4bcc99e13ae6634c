import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, test } from 'node:test'
import type { InjectOptions } from 'fastify'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries, statementsOf } from '../../../test/expect-queries.ts'
import { createProduct, createProducts } from '../../../test/factories.ts'
import { type BriskApp, buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import { pruneExpiredCarts } from './index.ts'

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

describeEachDatabase('orders: carts', (ctx) => {
  let app: BriskApp
  before(async () => {
    app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })
  })
  after(async () => {
    await app?.close()
  })

  const send = (method: Method, url: string, who: { cart?: string; session?: string } = {}, payload?: object) => {
    const headers: Record<string, string> = {}
    if (who.cart) headers['brisk-cart-token'] = who.cart
    if (who.session) headers['authorization'] = `Bearer ${who.session}`
    const options: InjectOptions = { method, url, headers }
    if (payload) options.payload = payload
    return app.http.inject(options)
  }
  const newCart = async () => {
    const created = await send('POST', '/api/store/carts')
    assert.equal(created.statusCode, 201, created.body)
    return created.json().token as string
  }
  const patch = (cart: string, payload: object) => send('PATCH', '/api/store/cart', { cart }, payload)
  const summary = (body: { lines: { unit: string; quantity: string; total: string }[]; subtotal: string; taxTotal: string; total: string }) => ({
    lines: body.lines.map((l) => [l.unit, l.quantity, l.total]),
    totals: [body.subtotal, body.taxTotal, body.total],
  })
  const shop = async () => {
    const cola = await createProduct(ctx.db, { price: '2.50', taxRate: '10', units: { box12: '12' } })
    const cheese = await createProduct(ctx.db, { baseUnit: 'kg', price: '12.99', taxRate: '7', units: { g: '0.001' } })
    return { cola, cheese }
  }

  test('a guest adds lines in several units, changes and removes them; exact totals', async () => {
    const { cola, cheese } = await shop()
    const created = await send('POST', '/api/store/carts')
    assert.equal(created.statusCode, 201, created.body)
    assert.equal(created.headers['cache-control'], 'no-store')
    const { token, cart } = created.json()
    assert.match(token, /^bct_[\w-]{43}$/)
    assert.deepEqual(summary(cart), { lines: [], totals: ['0.00', '0.00', '0.00'] })
    const stored = await ctx.db.primary.selectFrom('cart').select(['token_hash', 'customer_id']).executeTakeFirstOrThrow()
    assert.deepEqual(stored, { token_hash: createHash('sha256').update(token).digest('hex'), customer_id: null }, 'stored as a hash')

    const added = await patch(token, {
      add: [
        { productId: cola.id, quantity: 3 },
        { sku: cola.sku, unit: 'box12', quantity: '2' },
        { productId: cheese.id, unit: 'g', quantity: 250 },
      ],
    })
    assert.equal(added.statusCode, 200, added.body)
    assert.deepEqual(summary(added.json()), {
      lines: [
        ['each', '3', '8.25'],
        ['box12', '2', '66.00'],
        ['g', '250', '3.48'],
      ],
      totals: ['70.75', '6.98', '77.73'],
    })
    const [each, box, grams] = added.json().lines
    assert.deepEqual([grams.unitPrice, grams.netAmount, grams.taxAmount, box.unitPrice], ['0.01299', '3.25', '0.23', '30.00'])

    const changed = await patch(token, { add: [{ productId: cola.id, quantity: 2 }], change: [{ lineId: box.id, quantity: 1 }], remove: [grams.id] })
    assert.equal(changed.statusCode, 200, changed.body)
    assert.deepEqual(summary(changed.json()), {
      lines: [
        ['each', '5', '13.75'],
        ['box12', '1', '33.00'],
      ],
      totals: ['42.50', '4.25', '46.75'],
    })
    assert.equal(changed.json().lines[0].id, each.id, 'the same product and unit add to their line')
    const read = await send('GET', '/api/store/cart', { cart: token })
    assert.equal(read.statusCode, 200, read.body)
    assert.deepEqual(read.json().lines, changed.json().lines)

    assert.equal((await send('DELETE', '/api/store/cart', { cart: token })).statusCode, 204)
    assert.deepEqual(summary((await send('GET', '/api/store/cart', { cart: token })).json()), { lines: [], totals: ['0.00', '0.00', '0.00'] })
  })

  test('statements are as many for 5, 51 and 500 lines', async () => {
    const products = await createProducts(ctx.db, 556)
    const counts: number[][] = []
    let offset = 0
    for (const n of [5, 51, 500]) {
      const token = await newCart()
      const mine = products.slice(offset, offset + n)
      offset += n
      const added = await patch(token, { add: mine.map((p) => ({ productId: p.id, quantity: 2 })) })
      assert.equal(added.statusCode, 200, added.body)
      const lines: { id: number }[] = added.json().lines
      assert.equal(lines.length, n)
      const half = lines.slice(0, Math.ceil(n / 2))
      const rest = lines.slice(half.length)
      const edited = await patch(token, {
        add: mine.map((p) => ({ sku: p.sku, quantity: 1 })),
        change: half.map((l) => ({ lineId: l.id, quantity: 4 })),
        remove: rest.map((l) => l.id),
      })
      assert.equal(edited.statusCode, 200, edited.body)
      const read = await send('GET', '/api/store/cart', { cart: token })
      assert.equal(read.json().lines.length, n)
      counts.push([statementsOf(added), statementsOf(edited), statementsOf(read)])
    }
    assert.deepEqual(counts[1], counts[0], JSON.stringify(counts))
    assert.deepEqual(counts[2], counts[0], JSON.stringify(counts))
    // adding: BEGIN, touch the cart, resolve the products, add, read the lines, COMMIT, load the new products to the cache;
    // editing: BEGIN, touch, remove, change, resolve, add, read, COMMIT (products cached); reading: one
    assert.deepEqual(counts[0], [7, 8, 1], JSON.stringify(counts))
  })

  test("an unknown, malformed, expired or someone else's cart: the very same 404", async () => {
    const { cola } = await shop()
    const mine = await newCart()
    const expired = await newCart()
    await patch(expired, { add: [{ productId: cola.id, quantity: 1 }] })
    await ctx.db.primary
      .updateTable('cart')
      .set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .where('token_hash', '=', createHash('sha256').update(expired).digest('hex'))
      .execute()
    const answers = []
    for (const cart of [expired, `bct_${'A'.repeat(43)}`, 'bct_short', undefined]) {
      for (const [method, payload] of [['GET'], ['PATCH', { add: [{ productId: cola.id, quantity: 1 }] }], ['DELETE']] as const) {
        const response = await send(method, '/api/store/cart', cart === undefined ? {} : { cart }, payload)
        assert.equal(response.statusCode, 404, `${method} ${cart}: ${response.body}`)
        answers.push(response.body)
      }
    }
    assert.equal(new Set(answers).size, 1, 'one body for all')
    assert.equal(JSON.parse(answers[0]!).error.code, 'ORDERS_CART_NOT_FOUND')
    const line = (await patch(mine, { add: [{ productId: cola.id, quantity: 1 }] })).json().lines[0]
    const other = await newCart()
    const foreign = await patch(other, { change: [{ lineId: line.id, quantity: 9 }] })
    assert.equal(foreign.statusCode, 404, foreign.body)
    assert.equal(foreign.json().error.code, 'ORDERS_CART_LINE_NOT_FOUND')
    assert.deepEqual(foreign.json().error.details, { lines: [{ field: '/change/0/lineId', lineId: line.id }] })
    assert.equal((await send('GET', '/api/store/cart', { cart: mine })).json().lines[0].quantity, '1')
  })

  test('a signed-in customer has one cart, found by the session', async () => {
    const { cola } = await shop()
    const signUp = async (email: string) => {
      const response = await send('POST', '/api/store/customers', {}, { email, name: 'Ada', password: 'correct horse battery' })
      return response.json().token as string
    }
    const ada = await signUp('ada@example.com')
    const bob = await signUp('bob@example.com')
    assert.equal((await send('GET', '/api/store/cart', { session: ada })).statusCode, 404, 'no cart yet')
    const created = await send('POST', '/api/store/carts', { session: ada })
    assert.equal(created.statusCode, 201, created.body)
    assert.equal(created.json().token, null)
    const added = await send('PATCH', '/api/store/cart', { session: ada }, { add: [{ productId: cola.id, quantity: 2 }] })
    assert.equal(added.statusCode, 200, added.body)
    const again = await send('POST', '/api/store/carts', { session: ada })
    assert.deepEqual(again.json().cart.lines, added.json().lines, 'the open cart, not a new one')
    assert.equal((await send('GET', '/api/store/cart', { session: ada })).json().total, '5.50')
    assert.equal((await send('GET', '/api/store/cart', { session: bob })).statusCode, 404)
    const carts = await ctx.db.primary.selectFrom('cart').select(['customer_id', 'token_hash']).execute()
    assert.equal(carts.length, 1)
  })

  test("signing in with a guest cart's token moves its lines into the customer's cart", async () => {
    const { cola, cheese } = await shop()
    const account = { email: 'merge@example.com', name: 'Ada', password: 'correct horse battery' }
    const session = (await send('POST', '/api/store/customers', {}, account)).json().token as string
    await send('PATCH', '/api/store/cart', { session }, { add: [{ productId: cola.id, quantity: 2 }] })
    const guest = await newCart()
    await patch(guest, {
      add: [
        { productId: cola.id, quantity: 3 },
        { productId: cheese.id, unit: 'g', quantity: 500 },
      ],
    })
    const refused = await send('POST', '/api/store/sessions', {}, { email: account.email, password: 'wrong password!', cartToken: guest })
    assert.equal(refused.statusCode, 401)
    assert.equal((await send('GET', '/api/store/cart', { cart: guest })).statusCode, 200, 'a failed sign-in leaves the cart alone')

    const signedIn = await send('POST', '/api/store/sessions', {}, { email: account.email, password: account.password, cartToken: guest })
    assert.equal(signedIn.statusCode, 201, signedIn.body)
    assert.equal(statementsOf(signedIn), 8, 'sign-in (2) and the merge: BEGIN, touch, expired, upsert, merge, COMMIT')
    const merged = await send('GET', '/api/store/cart', { session: signedIn.json().token })
    assert.deepEqual(summary(merged.json()).lines, [
      ['each', '5', '13.75'],
      ['g', '500', '6.96'],
    ])
    assert.equal((await send('GET', '/api/store/cart', { cart: guest })).statusCode, 404, 'the guest cart is gone')
    const unknown = await send('POST', '/api/store/sessions', {}, { email: account.email, password: account.password, cartToken: guest })
    assert.equal(unknown.statusCode, 201, 'an unknown cart token is ignored')
  })

  test('a refused change writes nothing', async () => {
    const { cola, cheese } = await shop()
    const token = await newCart()
    const line = (await patch(token, { add: [{ productId: cola.id, quantity: 1 }] })).json().lines[0]
    const snapshot = () => ctx.db.primary.selectFrom('cart_line').selectAll().orderBy('id').execute()
    const cartRow = () => ctx.db.primary.selectFrom('cart').select(['expires_at', 'updated_at']).execute()
    const before = [await snapshot(), await cartRow()]
    const refusals: [object, number, string, unknown][] = [
      [{ add: [{ productId: cola.id, quantity: 1 }, { productId: 999_999, quantity: 1 }] }, 422, 'ORDERS_UNKNOWN_PRODUCT', '/add/1/productId'],
      [{ add: [{ productId: cola.id, quantity: 1 }, { sku: 'NOPE', quantity: 1 }] }, 422, 'ORDERS_UNKNOWN_PRODUCT', '/add/1/sku'],
      [{ add: [{ productId: cola.id, quantity: 1 }, { productId: cheese.id, quantity: 1 }, { productId: cola.id, unit: 'g', quantity: 1 }] }, 422, 'ORDERS_UNIT_NOT_SOLD', '/add/2/unit'],
      [{ add: [{ productId: cola.id, quantity: 0 }] }, 400, 'VALIDATION_FAILED', undefined],
      [{ add: [{ productId: cola.id, quantity: '-1' }] }, 400, 'VALIDATION_FAILED', undefined],
      [{ add: [{ productId: cola.id, quantity: '0.0000001' }] }, 422, 'ORDERS_INVALID_QUANTITY', undefined],
      [{ change: [{ lineId: line.id, quantity: 3 }], remove: [line.id] }, 422, 'ORDERS_LINE_NAMED_TWICE', undefined],
      [{ add: [{ productId: cola.id, quantity: 1 }], remove: [line.id + 1000] }, 404, 'ORDERS_CART_LINE_NOT_FOUND', '/remove/0'],
    ]
    for (const [payload, status, code, field] of refusals) {
      const response = await patch(token, payload)
      assert.equal(response.statusCode, status, `${JSON.stringify(payload)}: ${response.body}`)
      assert.equal(response.json().error.code, code)
      if (field !== undefined) assert.equal(response.json().error.details.lines[0].field, field)
    }
    assert.deepEqual([await snapshot(), await cartRow()], before, 'nothing written, the expiry included')
  })

  test('every write moves the expiry forward; pruning deletes only expired carts, in batches', async () => {
    const { cola } = await shop()
    const tokens = [await newCart(), await newCart(), await newCart(), await newCart()]
    for (const token of tokens) await patch(token, { add: [{ productId: cola.id, quantity: 1 }] })
    await ctx.db.primary.updateTable('cart').set({ expires_at: sql<Date>`now() + interval '1 minute'` }).execute()
    await patch(tokens[0]!, { add: [{ productId: cola.id, quantity: 1 }] })
    const hours = (await ctx.db.primary.selectFrom('cart').select(sql<number>`extract(epoch from max(expires_at) - now()) / 3600`.as('h')).executeTakeFirstOrThrow()).h
    assert.ok(Number(hours) > 71.9 && Number(hours) <= 72, `72 hours from the last write (${hours})`)

    await ctx.db.primary.updateTable('cart').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('id', '<>', 1).execute()
    const { result: deleted, count } = await countQueries(() => pruneExpiredCarts(ctx.db, { batchSize: 2 }))
    assert.equal(deleted, 3)
    assert.equal(count, 2, 'a full batch, then one short of it')
    assert.deepEqual(await ctx.db.primary.selectFrom('cart').select('id').execute(), [{ id: 1 }])
    assert.equal((await ctx.db.primary.selectFrom('cart_line').select('cart_id').execute()).length, 1, 'their lines went with them')
    assert.equal((await send('GET', '/api/store/cart', { cart: tokens[0]! })).statusCode, 200)
  })
})
