import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { statementsOf } from '../../../test/expect-queries.ts'
import { createToken, ledgerSum, stockOf } from '../../../test/factories.ts'
import type { BriskApp } from '../../app.ts'
import { TEST_CARDS } from './orders.payments.ts'
import { checkoutBody, onlineShop, openApp, signUpShopper, storeSender, withShipping } from './orders.test-support.ts'

describeEachDatabase('orders: checkout', (ctx) => {
  let app: BriskApp
  before(async () => {
    app = await openApp(ctx.db)
  })
  after(async () => {
    await app?.close()
  })
  const send = storeSender(() => app)
  const orderCount = async () => Number((await sql<{ n: string }>`select count(*) as n from online_order`.execute(ctx.db.primary)).rows[0]!.n)

  /** A guest cart with `add`, its token and its total. */
  const guestCart = async (add: object[]) => {
    const created = await send('POST', '/api/store/carts', {}, { add })
    assert.equal(created.statusCode, 201, created.body)
    const { token, cart } = created.json()
    return { token: token as string, total: cart.total as string, statements: statementsOf(created) }
  }

  test('a guest cart made with its lines in one request becomes a paid order in one statement', async () => {
    const { location, products } = await onlineShop(ctx.db)
    const [cola, juice] = products
    const { token, total } = await guestCart([{ productId: cola!.id, unit: 'box12', quantity: 1 }, { sku: juice!.sku, quantity: '3' }])
    assert.equal(total, '41.25')
    const placed = await send('POST', '/api/store/checkout', { cart: token }, checkoutBody(withShipping(total)))
    assert.equal(placed.statusCode, 201, placed.body)
    const order = placed.json()
    assert.deepEqual([order.status, order.total, order.shippingTotal, order.locationId, order.lines.length], ['paid', '46.15', '4.90', location.id, 2])
    assert.equal(statementsOf(placed), 2, 'the cart read and the order statement')
    assert.equal(Number(await stockOf(ctx.db, location.id, cola!.id)), 88)
    assert.equal(Number(await ledgerSum(ctx.db, location.id, cola!.id)), 88)
    const read = await send('GET', `/api/store/orders/${order.id}`, { cart: token })
    assert.equal(read.statusCode, 200, read.body)
    assert.deepEqual(read.json(), order, 'the response is what was stored')
    assert.equal((await send('GET', '/api/store/cart', { cart: token })).statusCode, 404, 'the cart is gone')
    const events = await sql<{ kind: string; actor: string }>`select kind, actor from online_order_event where order_id = ${order.id} order by id`.execute(ctx.db.primary)
    assert.deepEqual(events.rows, [{ kind: 'placed', actor: 'guest' }, { kind: 'paid', actor: 'guest' }])
  })

  test('cart and placement are a constant 3 statements, key included, for 5, 51 and 500 lines', async () => {
    const { products } = await onlineShop(ctx.db, { products: 500, stock: '1000' })
    for (const n of [5, 51, 500]) {
      const add = products.slice(0, n).map((p) => ({ productId: p.id, quantity: 1 }))
      await guestCart(add) // the products are now in the cache tiers
      const { token, total, statements } = await guestCart(add)
      const placed = await send('POST', '/api/store/checkout', { cart: token, key: `six-${n}` }, checkoutBody(withShipping(total)))
      assert.equal(placed.statusCode, 201, placed.body)
      assert.equal(placed.json().lines.length, n)
      assert.deepEqual([statements, statementsOf(placed)], [1, 2], `${n} lines: cart 1, place 2 (read; the order with its key claimed)`)
    }
  })

  test('a retried placement with the same key yields one order; the key with another body is refused', async () => {
    const { location, products } = await onlineShop(ctx.db)
    const { token, total } = await guestCart([{ productId: products[0]!.id, quantity: 2 }])
    const body = checkoutBody(withShipping(total))
    const first = await send('POST', '/api/store/checkout', { cart: token, key: 'k1' }, body)
    const again = await send('POST', '/api/store/checkout', { cart: token, key: 'k1' }, body)
    assert.equal(first.statusCode, 201, first.body)
    assert.equal(again.statusCode, 201, again.body)
    assert.equal(again.headers['idempotent-replayed'], 'true')
    assert.deepEqual(again.json(), first.json())
    assert.equal(Number(await stockOf(ctx.db, location.id, products[0]!.id)), 98, 'stock taken once')
    const concurrent = await guestCart([{ productId: products[0]!.id, quantity: 1 }])
    const twice = await Promise.all(
      [1, 2].map(() => send('POST', '/api/store/checkout', { cart: concurrent.token, key: 'k2' }, checkoutBody(withShipping(concurrent.total)))),
    )
    assert.deepEqual(twice.map((r) => r.statusCode), [201, 201], twice.map((r) => r.body).join('\n'))
    assert.equal(twice[0]!.json().id, twice[1]!.json().id, 'sent twice at once: one order')
    assert.equal(Number(await stockOf(ctx.db, location.id, products[0]!.id)), 97)
    const other = await send('POST', '/api/store/checkout', { cart: token, key: 'k1' }, { ...body, email: 'other@example.com' })
    assert.equal(other.statusCode, 422, other.body)
    assert.equal(other.json().error.code, 'ORDERS_IDEMPOTENCY_KEY_REUSED')
  })

  test('a declined card or a price change writes nothing; the 409 gives the new total', async () => {
    const { location, products } = await onlineShop(ctx.db)
    const product = products[0]!
    const { token, total } = await guestCart([{ productId: product.id, quantity: 4 }])
    const before = await orderCount()
    const declined = await send('POST', '/api/store/checkout', { cart: token }, checkoutBody(withShipping(total), { payment: { provider: 'test', card: { number: TEST_CARDS.decline } } }))
    assert.equal(declined.statusCode, 402, declined.body)
    assert.equal(declined.json().error.code, 'ORDERS_PAYMENT_DECLINED')

    // the catalog changes behind the cache's back: the statement's own re-check refuses, the new total is priced afresh
    await sql`update product set price = 3.00 where id = ${product.id}`.execute(ctx.db.primary)
    const changed = await send('POST', '/api/store/checkout', { cart: token }, checkoutBody(withShipping(total)))
    assert.equal(changed.statusCode, 409, changed.body)
    assert.deepEqual(changed.json().error.details, { field: '/expectedTotal', expectedTotal: '15.90', total: '18.10' })
    assert.equal(await orderCount(), before, 'no order')
    assert.equal(Number(await stockOf(ctx.db, location.id, product.id)), 100, 'no stock taken')
    assert.equal((await send('GET', '/api/store/cart', { cart: token })).json().total, '13.20', 'the cart is intact, at the new price')
    const retried = await send('POST', '/api/store/checkout', { cart: token }, checkoutBody('18.10'))
    assert.equal(retried.statusCode, 201, retried.body)
  })

  test('a customer reads only their own orders; anyone else gets the same 404', async () => {
    const { products } = await onlineShop(ctx.db)
    const ada = await signUpShopper(app)
    const bob = await signUpShopper(app)
    const cart = await send('POST', '/api/store/carts', { session: ada.token }, { add: [{ productId: products[0]!.id, quantity: 1 }] })
    assert.equal(cart.statusCode, 201, cart.body)
    const placed = await send('POST', '/api/store/checkout', { session: ada.token }, checkoutBody(withShipping(cart.json().cart.total), { email: undefined }))
    assert.equal(placed.statusCode, 201, placed.body)
    const order = placed.json()
    assert.deepEqual([order.customerId, order.email], [ada.id, ada.email])
    assert.equal((await send('GET', `/api/store/orders/${order.id}`, { session: ada.token })).statusCode, 200)
    const other = await guestCart([{ productId: products[0]!.id, quantity: 1 }])
    for (const who of [{ session: bob.token }, { cart: other.token }, {}]) {
      const read = await send('GET', `/api/store/orders/${order.id}`, who)
      assert.equal(read.statusCode, 404, read.body)
      assert.equal(read.json().error.code, 'ORDERS_ORDER_NOT_FOUND')
    }
    assert.equal((await send('GET', `/api/store/orders/${order.id + 1000}`, { session: ada.token })).json().error.code, 'ORDERS_ORDER_NOT_FOUND')
    const mine = await send('GET', '/api/store/orders', { session: ada.token })
    assert.deepEqual(mine.json().items.map((o: { id: number }) => o.id), [order.id])
    assert.deepEqual((await send('GET', '/api/store/orders', { session: bob.token })).json().items, [])
    assert.equal((await send('GET', '/api/store/orders')).statusCode, 401)
  })

  test('bad checkouts are clear 4xx answers and write nothing', async () => {
    const { products } = await onlineShop(ctx.db)
    const { token, total } = await guestCart([{ productId: products[0]!.id, quantity: 1 }])
    const empty = await guestCart([])
    const before = await orderCount()
    const cases: [string, { cart?: string }, object, number, string][] = [
      ['no such cart', { cart: 'bct_nope' }, checkoutBody('1.00'), 404, 'ORDERS_CART_NOT_FOUND'],
      ['no cart at all', {}, checkoutBody('1.00'), 404, 'ORDERS_CART_NOT_FOUND'],
      ['an empty cart', { cart: empty.token }, checkoutBody('4.90'), 422, 'ORDERS_CART_EMPTY'],
      ['a guest without an email', { cart: token }, checkoutBody(withShipping(total), { email: undefined }), 422, 'ORDERS_EMAIL_REQUIRED'],
      ['a country that does not exist', { cart: token }, checkoutBody(withShipping(total), { shippingAddress: { ...checkoutBody('0').shippingAddress, country: 'XX' } }), 422, 'ORDERS_UNKNOWN_COUNTRY'],
      ['a method that does not exist', { cart: token }, checkoutBody(withShipping(total), { shippingMethod: 'teleport' }), 422, 'ORDERS_COUNTRY_NOT_SERVED'],
      ['an unknown provider', { cart: token }, checkoutBody(withShipping(total), { payment: { provider: 'barter' } }), 422, 'ORDERS_UNKNOWN_PAYMENT_PROVIDER'],
      ['a negative total', { cart: token }, checkoutBody('-1'), 422, 'ORDERS_INVALID_TOTAL'],
      ['a total that is not a number', { cart: token }, checkoutBody('lots'), 400, 'VALIDATION_FAILED'],
    ]
    for (const [what, who, body, status, code] of cases) {
      const response = await send('POST', '/api/store/checkout', who, body)
      assert.equal(response.statusCode, status, `${what}: ${response.body}`)
      assert.equal(response.json().error.code, code, what)
    }
    assert.equal(await orderCount(), before)
  })

  test('a line whose product or unit is no longer sold stays in the cart, out of its total, and holds up checkout until removed', async () => {
    const { products } = await onlineShop(ctx.db, { products: 2 })
    const [cola, juice] = products
    const { principal } = await createToken(ctx.db, 'admin')
    const { token } = await guestCart([
      { productId: cola!.id, unit: 'box12', quantity: 1 },
      { productId: juice!.id, quantity: 2 },
      { productId: juice!.id, unit: 'box12', quantity: 1 },
    ])
    await app.services.catalog.updateProduct(principal, cola!.id, { active: false })
    await app.services.catalog.updateProduct(principal, juice!.id, { units: [] })
    const cart = await send('GET', '/api/store/cart', { cart: token })
    assert.equal(cart.statusCode, 200, cart.body)
    const body = cart.json()
    assert.deepEqual(body.lines.map((l: { unit: string }) => l.unit), ['each'])
    assert.equal(body.total, '5.50')
    assert.deepEqual(body.unavailable.map((l: { unit: string; reason: string }) => [l.unit, l.reason]).sort(), [['box12', 'no_longer_sold'], ['box12', 'unit_not_sold']])
    const refused = await send('POST', '/api/store/checkout', { cart: token }, checkoutBody('10.40'))
    assert.equal(refused.statusCode, 409, refused.body)
    assert.equal(refused.json().error.code, 'ORDERS_LINES_UNAVAILABLE')
    const removed = await send('PATCH', '/api/store/cart', { cart: token }, { remove: body.unavailable.map((l: { id: number }) => l.id) })
    assert.equal(removed.statusCode, 200, removed.body)
    assert.equal((await send('POST', '/api/store/checkout', { cart: token }, checkoutBody('10.40'))).statusCode, 201)
  })

  test('50 buyers online and at the till for 10 units: exactly 10 get one', async () => {
    const { location, products } = await onlineShop(ctx.db, { products: 1, stock: '10' })
    const product = products[0]!
    const carts = await Promise.all(Array.from({ length: 25 }, () => guestCart([{ productId: product.id, quantity: 1 }])))
    const { token: till } = await createToken(ctx.db, 'cashier')
    const online = carts.map((c) => send('POST', '/api/store/checkout', { cart: c.token }, checkoutBody(withShipping(c.total))))
    const tills = Array.from({ length: 25 }, () =>
      send('POST', '/api/sales/invoices', { staff: till }, {
        locationId: location.id,
        lines: [{ productId: product.id, quantity: 1 }],
        payments: [{ method: 'cash', amount: '2.75' }],
        submit: true,
      }),
    )
    const answers = await Promise.all([...online, ...tills])
    const won = answers.filter((a) => a.statusCode === 201)
    const lost = answers.filter((a) => a.statusCode === 409)
    assert.equal(won.length, 10, answers.filter((a) => a.statusCode !== 201 && a.statusCode !== 409).map((a) => a.body).join('\n'))
    assert.equal(lost.length, 40)
    const codes = new Set(lost.map((a) => a.json().error.code))
    assert.deepEqual([...codes].sort(), ['ORDERS_SOLD_OUT', 'SALES_INSUFFICIENT_STOCK'].filter((c) => codes.has(c)), 'clean sold-out answers only')
    assert.equal(Number(await stockOf(ctx.db, location.id, product.id)), 0)
    assert.equal(Number(await ledgerSum(ctx.db, location.id, product.id)), 0)
  })
})
