import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { statementsOf } from '../../../test/expect-queries.ts'
import { createLocation, ledgerSum, stockOf } from '../../../test/factories.ts'
import type { BriskApp } from '../../app.ts'
import { onlineRollups, placeOrder, staffToken } from './orders.staff.test-support.ts'
import { onlineShop, openApp, storeSender } from './orders.test-support.ts'

describeEachDatabase('orders: the staff lifecycle', (ctx) => {
  let app: BriskApp
  before(async () => {
    app = await openApp(ctx.db)
  })
  after(async () => {
    await app?.close()
  })
  const send = storeSender(() => app)

  test('placed → paid → fulfilled → completed, each change one transaction of 4 statements, in the history with its actor', async () => {
    const { products } = await onlineShop(ctx.db)
    const { token, principal } = await staffToken(ctx.db, send, 'cashier')
    const order = await placeOrder(send, [{ productId: products[0]!.id, quantity: 2 }], { manual: true })
    assert.equal(order.status, 'placed')
    assert.equal(order.paidTotal, '0.00')

    const paid = await send('POST', `/api/orders/${order.id}/pay`, { staff: token })
    assert.equal(paid.statusCode, 200, paid.body)
    assert.equal(statementsOf(paid), 4, 'BEGIN, lock, change, COMMIT')
    assert.equal(paid.json().status, 'paid')
    assert.equal(paid.json().paidTotal, order.total)
    assert.ok(paid.json().paidAt)

    const fulfilled = await send('POST', `/api/orders/${order.id}/fulfil`, { staff: token }, { trackingReference: 'DHL 123456' })
    assert.equal(fulfilled.statusCode, 200, fulfilled.body)
    assert.equal(statementsOf(fulfilled), 4)
    assert.equal(fulfilled.json().trackingReference, 'DHL 123456')
    assert.ok(fulfilled.json().fulfilledAt)

    const completed = await send('POST', `/api/orders/${order.id}/complete`, { staff: token })
    assert.equal(completed.statusCode, 200, completed.body)
    assert.equal(statementsOf(completed), 4)
    const done = completed.json()
    assert.equal(done.status, 'completed')
    assert.ok(done.completedAt)
    const actor = `token:${principal.tokenId}`
    assert.deepEqual(
      done.history.map((e: { kind: string; from: string | null; to: string; actor: string }) => [e.kind, e.from, e.to, e.actor]),
      [
        ['placed', null, 'placed', 'guest'],
        ['paid', 'placed', 'paid', actor],
        ['fulfilled', 'paid', 'fulfilled', actor],
        ['completed', 'fulfilled', 'completed', actor],
      ],
    )
    assert.deepEqual(done.history[2].detail, { trackingReference: 'DHL 123456' })

    const read = await send('GET', `/api/orders/${order.id}`, { staff: token })
    assert.equal(read.statusCode, 200, read.body)
    assert.equal(statementsOf(read), 1)
    assert.deepEqual(read.json(), done, 'the response of the last change is the order as read')
  })

  test('a change the state does not allow is a 409 naming both states; a tracking reference is required', async () => {
    const { products } = await onlineShop(ctx.db)
    const { token } = await staffToken(ctx.db, send, 'manager')
    const order = await placeOrder(send, [{ productId: products[0]!.id, quantity: 1 }])
    assert.equal(order.status, 'paid')
    const refused = async (action: string, from: string, to: string, body?: object) => {
      const response = await send('POST', `/api/orders/${order.id}/${action}`, { staff: token }, body)
      assert.equal(response.statusCode, 409, `${action}: ${response.body}`)
      const { error } = response.json()
      assert.equal(error.code, 'ORDERS_INVALID_TRANSITION')
      assert.equal(error.message, `Order ${order.id} is ${from}: it cannot become ${to}.`)
      assert.deepEqual([error.details.from, error.details.to], [from, to])
    }
    await refused('pay', 'paid', 'paid')
    await refused('complete', 'paid', 'completed')
    const noTracking = await send('POST', `/api/orders/${order.id}/fulfil`, { staff: token }, {})
    assert.equal(noTracking.statusCode, 400, noTracking.body)
    const tooLong = await send('POST', `/api/orders/${order.id}/fulfil`, { staff: token }, { trackingReference: 'x'.repeat(101) })
    assert.equal(tooLong.statusCode, 400, tooLong.body)
    const blank = await send('POST', `/api/orders/${order.id}/fulfil`, { staff: token }, { trackingReference: '   ' })
    assert.equal(blank.statusCode, 422, blank.body)
    assert.equal((await send('POST', `/api/orders/${order.id}/fulfil`, { staff: token }, { trackingReference: 'T1' })).statusCode, 200)
    await refused('cancel', 'fulfilled', 'cancelled')
    await refused('fulfil', 'fulfilled', 'fulfilled', { trackingReference: 'T2' })
    assert.equal((await send('POST', `/api/orders/${order.id}/complete`, { staff: token })).statusCode, 200)
    await refused('complete', 'completed', 'completed')
    await refused('cancel', 'completed', 'cancelled')
    const history = (await send('GET', `/api/orders/${order.id}`, { staff: token })).json().history
    assert.equal(history.length, 4, 'placed, paid, fulfilled, completed: refusals write nothing')
  })

  test('a cancelled order gives its stock back with ledger rows, leaves the rollups and refunds what was paid', async () => {
    const { location, products } = await onlineShop(ctx.db)
    const [cola, juice] = products
    const manager = await staffToken(ctx.db, send, 'manager')
    const cashier = await staffToken(ctx.db, send, 'cashier')
    const order = await placeOrder(send, [
      { productId: cola!.id, unit: 'box12', quantity: 1 },
      { productId: juice!.id, quantity: 3 },
    ])
    assert.equal(Number(await stockOf(ctx.db, location.id, cola!.id)), 88)
    assert.deepEqual(await onlineRollups(ctx.db, location.id), { invoices: 1, returns: 0, total: 41.25, quantity: 15 })

    const forbidden = await send('POST', `/api/orders/${order.id}/cancel`, { staff: cashier.token }, { reason: 'changed my mind' })
    assert.equal(forbidden.statusCode, 403, 'a cancel is a manager\'s')
    const cancelled = await send('POST', `/api/orders/${order.id}/cancel`, { staff: manager.token, key: 'cancel-1' }, { reason: 'changed my mind' })
    assert.equal(cancelled.statusCode, 200, cancelled.body)
    assert.equal(statementsOf(cancelled), 5, 'BEGIN, key claim, lock, cancel with stock and rollups, COMMIT')
    const body = cancelled.json()
    assert.equal(body.status, 'cancelled')
    assert.equal(body.refundedTotal, body.paidTotal)
    assert.equal(body.refundedTotal, '46.15')
    assert.deepEqual(body.history.at(-1).detail, { reason: 'changed my mind', refundedTotal: '46.15' })

    const again = await send('POST', `/api/orders/${order.id}/cancel`, { staff: manager.token, key: 'cancel-1' }, { reason: 'changed my mind' })
    assert.equal(again.statusCode, 200, again.body)
    assert.equal(again.headers['idempotent-replayed'], 'true')
    assert.deepEqual(again.json(), body)

    for (const product of [cola!, juice!]) {
      assert.equal(Number(await stockOf(ctx.db, location.id, product.id)), 100)
      assert.equal(Number(await ledgerSum(ctx.db, location.id, product.id)), 100, 'the ledger sums to the level')
    }
    assert.deepEqual(await onlineRollups(ctx.db, location.id), { invoices: 0, returns: 0, total: 0, quantity: 0 })
    const read = await send('GET', `/api/orders/${order.id}`, { staff: manager.token })
    assert.deepEqual(read.json(), body)
  })

  test('staff see and change only the orders of their locations; the list filters and pages newest first', async () => {
    const { location, products } = await onlineShop(ctx.db)
    const elsewhere = await createLocation(ctx.db)
    const outside = await staffToken(ctx.db, send, 'manager', [elsewhere.code])
    const inside = await staffToken(ctx.db, send, 'cashier', [location.code])
    const first = await placeOrder(send, [{ productId: products[0]!.id, quantity: 1 }], { manual: true })
    const second = await placeOrder(send, [{ productId: products[1]!.id, quantity: 1 }])
    const third = await placeOrder(send, [{ productId: products[1]!.id, quantity: 2 }])

    for (const [method, path] of [
      ['GET', ''],
      ['POST', '/pay'],
      ['POST', '/cancel'],
    ] as const) {
      const response = await send(method, `/api/orders/${first.id}${path}`, { staff: outside.token })
      assert.equal(response.statusCode, 404, `${method} ${path}: ${response.body}`)
      assert.equal(response.json().error.code, 'ORDERS_ORDER_NOT_FOUND')
    }
    const none = await send('GET', '/api/orders', { staff: outside.token })
    assert.deepEqual(none.json(), { items: [], nextBefore: null })
    const notTheirs = await send('GET', `/api/orders?locationId=${location.id}`, { staff: outside.token })
    assert.equal(notTheirs.statusCode, 403, notTheirs.body)
    assert.equal((await send('GET', '/api/orders')).statusCode, 401, 'staff only')

    const page = await send('GET', '/api/orders?limit=2', { staff: inside.token })
    assert.equal(page.statusCode, 200, page.body)
    assert.equal(statementsOf(page), 1)
    assert.deepEqual(page.json().items.map((o: { id: number }) => o.id), [third.id, second.id])
    assert.equal(page.json().nextBefore, second.id)
    const rest = await send('GET', `/api/orders?limit=2&before=${second.id}`, { staff: inside.token })
    assert.deepEqual(rest.json().items.map((o: { id: number }) => o.id), [first.id])
    assert.equal(rest.json().nextBefore, null)
    const placed = await send('GET', `/api/orders?status=placed&locationId=${location.id}`, { staff: inside.token })
    assert.deepEqual(placed.json().items.map((o: { id: number }) => o.id), [first.id])
    const future = await send('GET', '/api/orders?from=2999-01-01', { staff: inside.token })
    assert.deepEqual(future.json().items, [])
  })

  test('statements per change are the same for 5 and 51 lines', async () => {
    const { products } = await onlineShop(ctx.db, { products: 51, stock: '1000' })
    const { token } = await staffToken(ctx.db, send, 'manager')
    const counts: Record<string, number[]> = {}
    const record = (name: string, response: { statusCode: number; body: string; headers: Record<string, unknown> }) => {
      assert.ok(response.statusCode < 300, `${name}: ${response.body}`)
      counts[name] = [...(counts[name] ?? []), statementsOf(response)]
    }
    for (const size of [5, 51]) {
      const lines = products.slice(0, size).map((p) => ({ productId: p.id, quantity: 2 }))
      const order = await placeOrder(send, lines, { manual: true })
      assert.equal(order.lines.length, size)
      record('pay', await send('POST', `/api/orders/${order.id}/pay`, { staff: token }))
      record('fulfil', await send('POST', `/api/orders/${order.id}/fulfil`, { staff: token }, { trackingReference: `T-${size}` }))
      record('complete', await send('POST', `/api/orders/${order.id}/complete`, { staff: token }))
      record(
        'return',
        await send('POST', `/api/orders/${order.id}/returns`, { staff: token }, { lines: order.lines.map((l) => ({ lineId: l.id, quantity: 1 })) }),
      )
      record('read', await send('GET', `/api/orders/${order.id}`, { staff: token }))
      const other = await placeOrder(send, lines)
      record('cancel', await send('POST', `/api/orders/${other.id}/cancel`, { staff: token }))
    }
    assert.deepEqual(counts, { pay: [4, 4], fulfil: [4, 4], complete: [4, 4], return: [4, 4], read: [1, 1], cancel: [4, 4] })
  })
})
