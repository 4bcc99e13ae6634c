/** An order, its cancel and its return tell the inventory's listeners which products they moved, after their commit (for the storefront's stock badges). */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { createToken } from '../../../test/factories.ts'
import type { BriskApp } from '../../app.ts'
import { onStockMoved } from '../inventory/index.ts'
import { placeOrder } from './orders.staff.test-support.ts'
import { onlineShop, openApp, storeSender } from './orders.test-support.ts'

describeEachDatabase('orders tell the stock they moved', (ctx) => {
  let app: BriskApp | undefined
  after(async () => {
    await app?.close()
  })

  test('placing, cancelling and returning an order each tell once, with the order lines’ products; a replayed cancel tells nothing', async () => {
    app ??= await openApp(ctx.db)
    const built = app
    const { products } = await onlineShop(ctx.db)
    const { principal } = await createToken(ctx.db, 'manager')
    const heard: number[][] = []
    const stop = onStockMoved(ctx.db, (ids) => heard.push([...new Set(ids)].sort()))
    try {
      const send = storeSender(() => built)
      const [juice, soda] = [products[0]!.id, products[1]!.id]
      const first = await placeOrder(send, [{ productId: juice, quantity: 2 }, { productId: soda, quantity: 1 }])
      assert.deepEqual(heard.splice(0), [[juice, soda].sort()])
      await built.services.orders.cancelOrder(principal, first.id, {}, { idempotencyKey: 'cancel-1' })
      assert.deepEqual(heard.splice(0), [[juice, soda].sort()])
      await built.services.orders.cancelOrder(principal, first.id, {}, { idempotencyKey: 'cancel-1' })
      assert.deepEqual(heard.splice(0), [], 'a replay moved nothing')

      const second = await placeOrder(send, [{ productId: soda, quantity: 3 }])
      heard.length = 0
      await built.services.orders.fulfilOrder(principal, second.id, { trackingReference: 'T-1' })
      assert.deepEqual(heard.splice(0), [], 'a fulfilment moves no stock')
      await built.services.orders.returnOrderItems(principal, second.id, { lines: [{ lineId: second.lines[0]!.id, quantity: '1' }] })
      assert.deepEqual(heard.splice(0), [[soda]])
    } finally {
      stop()
    }
  })
})
