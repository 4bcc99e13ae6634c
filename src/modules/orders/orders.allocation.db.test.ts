import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { addStock, createLocation, createProduct, stockOf } from '../../../test/factories.ts'
import { memoryOnlyCache } from '../../infra/cache/cache.ts'
import type { Db } from '../../infra/db/database.ts'
import { AppError } from '../../infra/errors.ts'
import { testCardProvider } from './orders.payments.ts'
import { createOrdersService } from './orders.service.ts'
import { checkoutBody, onlineShop, withShipping } from './orders.test-support.ts'

/** The orders service with a card simulator the test can look into. */
function ordersWithCards(db: Db) {
  const cards = testCardProvider({ timeoutMs: 10 })
  const orders = createOrdersService(db, { cache: memoryOnlyCache(), cartTtlHours: 72, payments: new Map([['test', cards]]) })
  return { orders, cards }
}

const sellsOnline = (db: Db, locationId: number, priority: number) =>
  sql`update location set sells_online = true, online_priority = ${priority} where id = ${locationId}`.execute(db.primary)

describeEachDatabase('orders: allocation', (ctx) => {
  test('an order goes to the first online location, by priority, that holds every line; offline stock is never used', async () => {
    const { location: first, products } = await onlineShop(ctx.db, { products: 1, stock: '1', priority: 0 })
    const product = products[0]!
    const second = await createLocation(ctx.db)
    const offline = await createLocation(ctx.db)
    await sellsOnline(ctx.db, second.id, 5)
    await addStock(ctx.db, second.id, [{ productId: product.id, quantity: '5' }])
    await addStock(ctx.db, offline.id, [{ productId: product.id, quantity: '100' }])
    const { orders, cards } = ordersWithCards(ctx.db)
    const place = async (quantity: number) => {
      const { token, cart } = await orders.createCart({}, [{ productId: product.id, quantity }])
      return orders.placeOrder({ cartToken: token! }, checkoutBody(withShipping(cart.total)))
    }
    assert.equal((await place(3)).body.locationId, second.id, 'the first cannot cover 3')
    assert.equal((await place(1)).body.locationId, first.id, 'the first covers 1')
    assert.equal((await place(2)).body.locationId, second.id)
    const soldOut = await place(1).catch((error: unknown) => error)
    assert.ok(soldOut instanceof AppError && soldOut.code === 'ORDERS_SOLD_OUT', String(soldOut))
    assert.deepEqual(soldOut.details, { lines: [{ productId: product.id, requested: '1', available: '0' }] })
    assert.equal(cards.voided.size, 1, 'the approved payment of the refused order was voided')
    assert.deepEqual(
      [await stockOf(ctx.db, first.id, product.id), await stockOf(ctx.db, second.id, product.id), await stockOf(ctx.db, offline.id, product.id)].map(Number),
      [0, 0, 100],
    )
  })

  test('a cart changed between its read and the order statement: 409, no order, the key left free, the payment voided', async () => {
    const { products } = await onlineShop(ctx.db, { products: 1 })
    const product = products[0]!
    let token = ''
    const voided: string[] = []
    // a provider slow enough for the shopper's other tab to change the cart meanwhile
    const meddler = {
      name: 'test',
      async authorize() {
        await orders.updateCart({ cartToken: token }, { add: [{ productId: product.id, quantity: 1 }] })
        return { provider: 'test', reference: 'ref-1', paid: true }
      },
      async void(authorization: { reference: string }) {
        voided.push(authorization.reference)
      },
    }
    const orders = createOrdersService(ctx.db, { cache: memoryOnlyCache(), cartTtlHours: 72, payments: new Map([['test', meddler]]) })
    const created = await orders.createCart({}, [{ productId: product.id, quantity: 1 }])
    token = created.token!
    const refused = await orders
      .placeOrder({ cartToken: token }, checkoutBody(withShipping(created.cart.total)), { idempotencyKey: 'meddled' })
      .catch((error: unknown) => error)
    assert.ok(refused instanceof AppError && refused.code === 'ORDERS_CART_CHANGED', String(refused))
    assert.deepEqual(voided, ['ref-1'])
    const keys = await sql<{ n: string }>`select count(*) as n from idempotency_key where key = 'meddled'`.execute(ctx.db.primary)
    assert.equal(Number(keys.rows[0]!.n), 0, 'the key is free for the retry')
    assert.equal((await orders.getCart({ cartToken: token })).lines[0]!.quantity, '2', 'the cart as the other tab left it')
  })

  test('a shop with no location selling online refuses online orders and writes nothing', async () => {
    const location = await createLocation(ctx.db)
    await sql`update location set sells_online = false`.execute(ctx.db.primary)
    const product = await createProduct(ctx.db, { price: '1.00' })
    await addStock(ctx.db, location.id, [{ productId: product.id, quantity: '10' }])
    await onlineShop(ctx.db, { products: 0 })
    await sql`update location set sells_online = false`.execute(ctx.db.primary)
    const { orders, cards } = ordersWithCards(ctx.db)
    const { token, cart } = await orders.createCart({}, [{ productId: product.id, quantity: 1 }])
    const refused = await orders.placeOrder({ cartToken: token! }, checkoutBody(withShipping(cart.total))).catch((error: unknown) => error)
    assert.ok(refused instanceof AppError && refused.code === 'ORDERS_NOT_SOLD_ONLINE', String(refused))
    assert.equal(cards.voided.size, 1)
    assert.equal((await orders.getCart({ cartToken: token! })).lines.length, 1, 'the cart is kept')
  })
})
