import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import type { BriskApp } from '../../app.ts'
import { seedDemoShop } from '../../demo/seed-demo.ts'
import { describeEachDatabase } from '../../../test/db.ts'
import { demoShopApp, Shopper } from './storefront.test-support.ts'

const ADDRESS = { name: 'Ana Shopper', line1: '1 Market Street', city: 'Berlin', postalCode: '10115', country: 'DE', shippingMethod: 'standard' }

describeEachDatabase('storefront: a shopping trip without JavaScript', (ctx) => {
  let app: BriskApp | undefined
  after(async () => {
    await app?.close()
  })

  async function shopWithCart() {
    app ??= await demoShopApp(ctx.db)
    await seedDemoShop(ctx.db, app.services, { onlyIfEmpty: true })
    const id = async (sku: string) => (await ctx.db.primary.selectFrom('product').select('id').where('sku', '=', sku).executeTakeFirstOrThrow()).id
    const cola = await id('SOF-0001')
    const cheddar = await id('CHE-0301')
    const shopper = new Shopper(app)
    await shopper.get('/')
    const drinks = /href="\/c\/(\d+)">Soft drinks</.exec(shopper.lastPage!.body)?.[1]
    assert.equal((await shopper.get(`/c/${drinks}`)).status, 200)
    await shopper.get(`/p/${cola}`)
    const added = await shopper.submit('/cart/add', { productId: String(cola), unit: 'box12', quantity: '2' })
    assert.match(added.body, /Added 2 × box of 12 Cola \(Classic\) to your cart/)
    assert.match(added.body, /class="badge">1</)
    await shopper.get(`/p/${cheddar}`)
    const weighed = await shopper.submit('/cart/add', { productId: String(cheddar), unit: 'kg', quantity: '0.25' })
    assert.match(weighed.body, /class="badge">2</)
    const cart = await shopper.get('/cart')
    assert.match(cart.body, /Cola \(Classic\)[\s\S]*value="2"[\s\S]*box of 12/)
    assert.match(cart.body, /Cheddar \(Classic\)[\s\S]*value="0.25"/)
    return { shopper, cola, cheddar }
  }

  const orderCount = async () => (await ctx.db.primary.selectFrom('online_order').select('id').execute()).length

  test('browse, add 2 boxes of 12 and 0.25 kg, sign up, pay by test card, see the order and the account', async () => {
    const { shopper } = await shopWithCart()
    assert.ok(shopper.cookies.has('brisk_cart'), 'a guest cart cookie')
    await shopper.get('/sign-up')
    const signedUp = await shopper.submit('/sign-up', { name: 'Ana Shopper', email: 'ana@example.com', password: 'correct horse battery', next: '/checkout' })
    assert.equal(signedUp.status, 200)
    assert.ok(shopper.cookies.has('brisk_session') && !shopper.cookies.has('brisk_cart'), 'the guest cart became the customer’s')
    assert.match(signedUp.body, /Welcome, Ana Shopper!/)
    assert.match(signedUp.body, /class="badge">2</)
    const total = /name="expectedTotal" value="([\d.]+)"/.exec(signedUp.body)?.[1]
    assert.ok(total, 'the checkout form carries the total shown')

    const placed = await shopper.post('/checkout', { ...ADDRESS, provider: 'test', cardNumber: '4242 4242 4242 4242', expectedTotal: total! })
    assert.equal(placed.status, 303, placed.body.slice(0, 2000))
    const confirmation = await shopper.get(String(placed.headers['location']))
    assert.equal(confirmation.status, 200)
    assert.match(confirmation.body, /Thank you! Your order is placed/)
    assert.match(confirmation.body, /class="badge">0</)
    const orderId = /\/orders\/(\d+)/.exec(String(placed.headers['location']))![1]
    const account = await shopper.get('/account')
    assert.match(account.body, new RegExp(`href="/orders/${orderId}">#${orderId}<`))
    assert.equal(await orderCount(), 1)

    const signedOut = await shopper.submit('/sign-out', {})
    assert.match(signedOut.body, /You are signed out/)
    assert.equal((await shopper.get('/account')).status, 303)
    assert.equal((await shopper.get(`/orders/${orderId}`)).status, 404, 'the order is no longer shown')
  })

  test('a declined card shows a clear message, keeps the form and places nothing', async () => {
    const { shopper } = await shopWithCart()
    const checkout = await shopper.get('/checkout')
    const total = /name="expectedTotal" value="([\d.]+)"/.exec(checkout.body)![1]!
    const stockBefore = await ctx.db.primary.selectFrom('stock_level').select((eb) => eb.fn.sum<string>('quantity').as('q')).executeTakeFirstOrThrow()
    const declined = await shopper.post('/checkout', {
      ...ADDRESS,
      email: 'guest@example.com',
      provider: 'test',
      cardNumber: '4000 0000 0000 0002',
      expectedTotal: total,
    })
    assert.equal(declined.status, 402)
    assert.match(declined.body, /The card was declined; nothing was ordered/)
    assert.match(declined.body, /value="1 Market Street"/, 'the address is kept')
    assert.doesNotMatch(declined.body, /name="cardNumber"[^>]*value=/, 'the card number is not sent back')
    assert.equal(await orderCount(), 0)
    const stockAfter = await ctx.db.primary.selectFrom('stock_level').select((eb) => eb.fn.sum<string>('quantity').as('q')).executeTakeFirstOrThrow()
    assert.equal(Number(stockAfter.q), Number(stockBefore.q), 'nothing reserved')
    assert.match((await shopper.get('/cart')).body, /class="badge">2</, 'the cart is kept')

    // a guest can pay with a card that works, and reads the order with their cart cookie
    const placed = await shopper.post('/checkout', { ...ADDRESS, email: 'guest@example.com', provider: 'test', cardNumber: '4242424242424242', expectedTotal: total })
    assert.equal(placed.status, 303)
    assert.equal((await shopper.get(String(placed.headers['location']))).status, 200)
  })
})
