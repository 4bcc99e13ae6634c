import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { statementsOf } from '../../../test/expect-queries.ts'
import { ledgerSum, stockOf } from '../../../test/factories.ts'
import type { BriskApp } from '../../app.ts'
import { openApp } from '../customers/customers.test-support.ts'
import { checkoutBody, onlineShop, storeSender, withShipping } from './orders.test-support.ts'

describeEachDatabase('orders: checkout', (ctx) => {
  let app: BriskApp
  before(async () => {
    app = await openApp(ctx.db)
  })
  after(async () => {
    await app?.close()
  })
  const send = storeSender(() => app)

  test('a guest cart made with its lines in one request becomes a paid order in one statement', async () => {
    const { location, products } = await onlineShop(ctx.db)
    const [cola, juice] = products
    const created = await send('POST', '/api/store/carts', {}, { add: [{ productId: cola!.id, unit: 'box12', quantity: 1 }, { sku: juice!.sku, quantity: '3' }] })
    assert.equal(created.statusCode, 201, created.body)
    const { token, cart } = created.json()
    assert.equal(cart.total, '41.25')
    const placed = await send('POST', '/api/store/checkout', { cart: token }, checkoutBody(withShipping(cart.total)))
    assert.equal(placed.statusCode, 201, placed.body)
    const order = placed.json()
    assert.equal(order.status, 'paid')
    assert.equal(order.total, '46.15')
    assert.equal(order.shippingTotal, '4.90')
    assert.equal(order.locationId, location.id)
    assert.equal(order.lines.length, 2)
    assert.equal(statementsOf(placed), 2, 'the cart read and the order statement')
    assert.equal(Number(await stockOf(ctx.db, location.id, cola!.id)), 88)
    assert.equal(Number(await ledgerSum(ctx.db, location.id, cola!.id)), 88)
    const read = await send('GET', `/api/store/orders/${order.id}`, { cart: token })
    assert.equal(read.statusCode, 200, read.body)
    assert.deepEqual(read.json(), order, 'the response is what was stored')
    const again = await send('GET', '/api/store/cart', { cart: token })
    assert.equal(again.statusCode, 404, 'the cart is gone')
  })
})
