/**
 * The sales rollups, written by tills and online orders alike inside their own statements, equal
 * a recomputation from the invoices and orders themselves, channel by channel.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { BriskApp } from '../src/app.ts'
import { checkoutBody, onlineShop, openApp, storeSender, withShipping } from '../src/modules/orders/orders.test-support.ts'
import { recomputedRollups, storedRollups } from '../src/modules/reporting/reporting.test-support.ts'
import { describeEachDatabase } from './db.ts'
import { createToken } from './factories.ts'

describeEachDatabase('rollups by channel', (ctx) => {
  let app: BriskApp
  before(async () => {
    app = await openApp(ctx.db)
  })
  after(async () => {
    await app?.close()
  })
  const send = storeSender(() => app)

  test('tills and online orders at one location: the rollups equal a recomputation, by channel', async () => {
    const { location, products } = await onlineShop(ctx.db, { products: 2, stock: '500' })
    const [cola, juice] = products
    const { token: cashier } = await createToken(ctx.db, 'cashier')
    const { token: manager } = await createToken(ctx.db, 'manager')
    const orders: { id: number; lines: { id: number }[] }[] = []
    for (let i = 1; i <= 3; i += 1) {
      const cart = await send('POST', '/api/store/carts', {}, { add: [{ productId: cola!.id, unit: 'box12', quantity: i }, { productId: juice!.id, quantity: 2 * i }] })
      const { token, cart: priced } = cart.json()
      const placed = await send('POST', '/api/store/checkout', { cart: token }, checkoutBody(withShipping(priced.total)))
      assert.equal(placed.statusCode, 201, placed.body)
      orders.push(placed.json())
      const sale = await send('POST', '/api/sales/invoices', { staff: cashier }, {
        locationId: location.id,
        lines: [{ productId: cola!.id, quantity: i }],
        payments: [{ method: 'cash', amount: '100' }],
        submit: true,
      })
      assert.equal(sale.statusCode, 201, sale.body)
    }
    // one order cancelled, one shipped and partly returned, a till sale returned
    const staff = (path: string, body: object = {}) => send('POST', path, { staff: manager }, body)
    assert.equal((await staff(`/api/orders/${orders[0]!.id}/cancel`)).statusCode, 200)
    assert.equal((await staff(`/api/orders/${orders[1]!.id}/fulfil`, { trackingReference: 'DHL-1' })).statusCode, 200)
    const returned = await staff(`/api/orders/${orders[1]!.id}/returns`, { lines: [{ lineId: orders[1]!.lines[1]!.id, quantity: 1 }] })
    assert.equal(returned.statusCode, 201, returned.body)
    const stored = await storedRollups(ctx.db.primary, location.id)
    assert.deepEqual(stored, await recomputedRollups(ctx.db.primary, location.id))
    assert.deepEqual([...new Set(stored.shards.map((s) => s.channel))].sort(), ['online', 'pos'], 'both channels are counted')
    const online = stored.shards.filter((s) => s.channel === 'online').reduce((n, s) => n + Number(s.invoices), 0)
    assert.equal(online, 2, 'three orders, one cancelled')
    assert.equal(stored.shards.filter((s) => s.channel === 'online').reduce((n, s) => n + Number(s.returns), 0), 1, 'one return')
  })
})
