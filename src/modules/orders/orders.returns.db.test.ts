import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { statementsOf } from '../../../test/expect-queries.ts'
import { createLocation, createProduct, addStock, ledgerSum, stockOf } from '../../../test/factories.ts'
import type { BriskApp } from '../../app.ts'
import { onlineRollups, type PlacedOrder, placeOrder, staffToken } from './orders.staff.test-support.ts'
import { onlineShop, openApp, storeSender } from './orders.test-support.ts'

describeEachDatabase('orders: returns', (ctx) => {
  let app: BriskApp
  before(async () => {
    app = await openApp(ctx.db)
  })
  after(async () => {
    await app?.close()
  })
  const send = storeSender(() => app)

  /** An order taken through payment and fulfilment. */
  async function fulfilled(token: string, lines: { productId: number; quantity: number; unit?: string }[]): Promise<PlacedOrder> {
    const order = await placeOrder(send, lines)
    const shipped = await send('POST', `/api/orders/${order.id}/fulfil`, { staff: token }, { trackingReference: `T-${order.id}` })
    assert.equal(shipped.statusCode, 200, shipped.body)
    return order
  }

  const rowCounts = async () => {
    const { rows } = await sql<{ returns: number; lines: number; ledger: number; events: number }>`
      select (select count(*) from online_order_return)::integer as returns,
        (select count(*) from online_order_return_line)::integer as lines,
        (select count(*) from stock_ledger)::integer as ledger,
        (select count(*) from online_order_event)::integer as events`.execute(ctx.db.primary)
    return rows[0]!
  }

  test('partial returns refund exactly: the last return of a line refunds what is left of it', async () => {
    const { location } = await onlineShop(ctx.db, { products: 1 })
    // 3 × 3.03 = 9.09, tax 10 % 0.91: the line comes to 10.00
    const product = await createProduct(ctx.db, { price: '3.03', taxRate: '10' })
    await addStock(ctx.db, location.id, [{ productId: product.id, quantity: '10' }])
    const { token, principal } = await staffToken(ctx.db, send, 'cashier')
    const order = await fulfilled(token, [{ productId: product.id, quantity: 3 }])
    const line = order.lines[0]!
    assert.equal(line.total, '10.00')
    assert.equal(Number(await stockOf(ctx.db, location.id, product.id)), 7)

    const refunds: string[] = []
    for (let i = 1; i <= 3; i += 1) {
      const response = await send('POST', `/api/orders/${order.id}/returns`, { staff: token }, { lines: [{ lineId: line.id, quantity: 1 }] })
      assert.equal(response.statusCode, 201, response.body)
      assert.equal(statementsOf(response), 4, 'BEGIN, lock, return, COMMIT')
      const { return: ret, order: after } = response.json()
      refunds.push(ret.total)
      assert.equal(after.lines[0].returnedQuantity, String(i))
      assert.equal(Number(await stockOf(ctx.db, location.id, product.id)), 7 + i)
    }
    assert.deepEqual(refunds, ['3.33', '3.34', '3.33'], 'rounded shares of the cumulative quantity: they add up to the line')
    const read = (await send('GET', `/api/orders/${order.id}`, { staff: token })).json()
    assert.equal(read.refundedTotal, '10.00')
    assert.equal(read.status, 'fulfilled', 'a return does not change the state')
    assert.equal(read.returns.length, 3)
    assert.deepEqual(
      read.history.slice(-1).map((e: { kind: string; from: string; to: string; actor: string }) => [e.kind, e.from, e.to, e.actor]),
      [['returned', 'fulfilled', 'fulfilled', `token:${principal.tokenId}`]],
    )
    assert.equal(Number(await ledgerSum(ctx.db, location.id, product.id)), 10, 'the ledger sums to the level')
    const { rows } = await sql<{ reason: string; n: number }>`
      select reason, count(*)::integer as n from stock_ledger where product_id = ${product.id} and reason = 'return' group by reason`.execute(
      ctx.db.primary,
    )
    assert.deepEqual(rows, [{ reason: 'return', n: 3 }])
    assert.deepEqual(await onlineRollups(ctx.db, location.id), { invoices: 1, returns: 3, total: 0, quantity: 0 })

    const more = await send('POST', `/api/orders/${order.id}/returns`, { staff: token }, { lines: [{ lineId: line.id, quantity: 1 }] })
    assert.equal(more.statusCode, 422, 'nothing is left to return')
  })

  test('more than ordered (less what came back) is refused, naming the line, and writes nothing', async () => {
    const { location, products } = await onlineShop(ctx.db)
    const [cola, juice] = products
    const { token } = await staffToken(ctx.db, send, 'manager')
    const order = await fulfilled(token, [
      { productId: cola!.id, unit: 'box12', quantity: 1 },
      { productId: juice!.id, quantity: 3 },
    ])
    const [box, single] = order.lines
    const before = await rowCounts()
    const tooMany = await send(
      'POST',
      `/api/orders/${order.id}/returns`,
      { staff: token },
      { lines: [{ lineId: box!.id, quantity: '0.5' }, { lineId: single!.id, quantity: 2 }, { lineId: single!.id, quantity: 2 }] },
    )
    assert.equal(tooMany.statusCode, 422, tooMany.body)
    const { error } = tooMany.json()
    assert.equal(error.code, 'ORDERS_RETURN_EXCEEDS_ORDERED')
    assert.equal(error.message, `Cannot return more than was ordered: lines[1] (order line ${single!.id}): asked 4, returnable 3.`)
    assert.deepEqual(error.details.lines, [{ field: '/lines/1', lineId: single!.id, requested: '4', returnable: '3' }])
    const unknown = await send('POST', `/api/orders/${order.id}/returns`, { staff: token }, { lines: [{ lineId: 999999, quantity: 1 }] })
    assert.equal(unknown.statusCode, 422, unknown.body)
    assert.equal(unknown.json().error.code, 'ORDERS_LINE_NOT_FOUND')
    assert.deepEqual(await rowCounts(), before, 'nothing written')
    assert.equal(Number(await stockOf(ctx.db, location.id, cola!.id)), 88)

    // half a box of 12 comes back as 6 base units
    const half = await send('POST', `/api/orders/${order.id}/returns`, { staff: token }, { lines: [{ lineId: box!.id, quantity: '0.5' }] })
    assert.equal(half.statusCode, 201, half.body)
    assert.equal(half.json().return.lines[0].baseQuantity, '6')
    assert.equal(Number(await stockOf(ctx.db, location.id, cola!.id)), 94)
  })

  test('a return goes to another location when asked, needs a fulfilled or completed order, and respects the token\'s locations', async () => {
    const { location, products } = await onlineShop(ctx.db)
    const store = await createLocation(ctx.db)
    const { token } = await staffToken(ctx.db, send, 'admin')
    const scoped = await staffToken(ctx.db, send, 'cashier', [location.code])
    const paid = await placeOrder(send, [{ productId: products[0]!.id, quantity: 2 }])
    const early = await send('POST', `/api/orders/${paid.id}/returns`, { staff: token }, { lines: [{ lineId: paid.lines[0]!.id, quantity: 1 }] })
    assert.equal(early.statusCode, 409, early.body)
    assert.equal(early.json().error.code, 'ORDERS_INVALID_TRANSITION')
    assert.equal(early.json().error.message, `Order ${paid.id} is paid: it cannot become returned.`)

    const order = await fulfilled(token, [{ productId: products[0]!.id, quantity: 2 }])
    const body = { lines: [{ lineId: order.lines[0]!.id, quantity: 1 }], locationId: store.id, reason: 'damaged' }
    const forbidden = await send('POST', `/api/orders/${order.id}/returns`, { staff: scoped.token }, body)
    assert.equal(forbidden.statusCode, 403, 'the goods may not go to a location outside the token')
    const elsewhere = await send('POST', `/api/orders/${order.id}/returns`, { staff: token, key: 'return-1' }, body)
    assert.equal(elsewhere.statusCode, 201, elsewhere.body)
    assert.equal(statementsOf(elsewhere), 5, 'BEGIN, key claim, lock, return, COMMIT')
    assert.equal(elsewhere.json().return.locationId, store.id)
    const replay = await send('POST', `/api/orders/${order.id}/returns`, { staff: token, key: 'return-1' }, body)
    assert.equal(replay.headers['idempotent-replayed'], 'true')
    assert.deepEqual(replay.json(), elsewhere.json())
    assert.equal(Number(await stockOf(ctx.db, store.id, products[0]!.id)), 1, 'returned once')
    assert.deepEqual(await onlineRollups(ctx.db, store.id), { invoices: 0, returns: 1, total: -2.75, quantity: -1 })
    assert.deepEqual(await onlineRollups(ctx.db, location.id), { invoices: 2, returns: 0, total: 11, quantity: 4 })
    const noSuchLocation = await send('POST', `/api/orders/${order.id}/returns`, { staff: token }, { ...body, locationId: 999999 })
    assert.equal(noSuchLocation.statusCode, 404, noSuchLocation.body)

    const read = (await send('GET', `/api/orders/${order.id}`, { staff: token })).json()
    assert.deepEqual(read, elsewhere.json().order, 'the response is the order as read')
    assert.equal(read.returns[0].reason, 'damaged')
  })
})
