import assert from 'node:assert/strict'
import { after, before, beforeEach, test } from 'node:test'
import type { InjectOptions } from 'fastify'
import { describeEachDatabase } from '../../../test/db.ts'
import { statementsOf } from '../../../test/expect-queries.ts'
import { createProduct, createToken } from '../../../test/factories.ts'
import { type BriskApp, buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'

type Method = 'GET' | 'POST' | 'PATCH'

describeEachDatabase('orders: shipping methods', (ctx) => {
  let app: BriskApp
  let admin: string | undefined
  beforeEach(() => {
    admin = undefined // the tables, tokens included, are emptied before each test
  })
  before(async () => {
    app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })
  })
  after(async () => {
    await app?.close()
  })

  const send = (method: Method, url: string, headers: Record<string, string> = {}, payload?: object) => {
    const options: InjectOptions = { method, url, headers }
    if (payload) options.payload = payload
    return app.http.inject(options)
  }
  const asAdmin = async (method: Method, url: string, payload?: object) => {
    admin ??= (await createToken(ctx.db, 'admin')).authorization
    return send(method, url, { authorization: admin }, payload)
  }
  const standard = {
    code: 'standard',
    name: 'Standard',
    rates: [
      { country: 'DE', price: '4.9', freeOver: 50 },
      { country: 'AT', price: 6.9 },
    ],
  }
  const express = { code: 'express', name: 'Express', position: 1, rates: [{ country: 'DE', price: '9.90' }] }
  const rows = async () => [
    await ctx.db.primary.selectFrom('shipping_method').selectAll().orderBy('id').execute(),
    await ctx.db.primary.selectFrom('shipping_rate').selectAll().orderBy('shipping_method_id').orderBy('country').execute(),
  ]

  test('an admin creates methods with rates in one statement each and lists them', async () => {
    const created = await asAdmin('POST', '/api/shipping-methods', standard)
    assert.equal(created.statusCode, 201, created.body)
    assert.equal(statementsOf(created), 2, "the token's first lookup, then the insert")
    const body = created.json()
    assert.deepEqual([body.code, body.name, body.active, body.position], ['standard', 'Standard', true, 0])
    assert.deepEqual(body.rates, [
      { country: 'AT', price: '6.90', freeOver: null },
      { country: 'DE', price: '4.90', freeOver: '50.00' },
    ])
    const second = await asAdmin('POST', '/api/shipping-methods', express)
    assert.equal(second.statusCode, 201, second.body)
    assert.equal(statementsOf(second), 1, 'the method and its rates in one statement')

    const taken = await asAdmin('POST', '/api/shipping-methods', { ...express, rates: [] })
    assert.equal(taken.statusCode, 409, taken.body)
    assert.equal(taken.json().error.code, 'ORDERS_SHIPPING_METHOD_EXISTS')
    const before = await rows()
    const refusals: [object, number, string][] = [
      [{ ...standard, code: 'other', rates: [{ country: 'DE', price: 1 }, { country: 'DE', price: 2 }] }, 422, 'ORDERS_COUNTRY_NAMED_TWICE'],
      [{ ...standard, code: 'other', rates: [{ country: 'DE', price: '1.001' }] }, 422, 'ORDERS_INVALID_SHIPPING_RATE'],
      [{ ...standard, code: 'other', rates: [{ country: 'de', price: 1 }] }, 400, 'VALIDATION_FAILED'],
    ]
    for (const [payload, status, code] of refusals) {
      const response = await asAdmin('POST', '/api/shipping-methods', payload)
      assert.equal(response.statusCode, status, response.body)
      assert.equal(response.json().error.code, code)
    }
    assert.deepEqual(await rows(), before, 'a refused method writes nothing')

    const listed = await asAdmin('GET', '/api/shipping-methods')
    assert.equal(listed.statusCode, 200, listed.body)
    assert.equal(statementsOf(listed), 1)
    assert.deepEqual(
      listed.json().items.map((m: { code: string; rates: { country: string }[] }) => [m.code, m.rates.map((r) => r.country)]),
      [
        ['standard', ['AT', 'DE']],
        ['express', ['DE']],
      ],
    )
  })

  test('a patch replaces the rates as a set, in a constant few statements', async () => {
    const id = (await asAdmin('POST', '/api/shipping-methods', standard)).json().id
    const patched = await asAdmin('PATCH', `/api/shipping-methods/${id}`, {
      name: 'Standard (DHL)',
      rates: [
        { country: 'DE', price: '5.50', freeOver: null },
        { country: 'CH', price: '12' },
        { country: '*', price: '15' },
      ],
    })
    assert.equal(patched.statusCode, 200, patched.body)
    assert.equal(patched.json().name, 'Standard (DHL)')
    assert.deepEqual(patched.json().rates, [
      { country: '*', price: '15.00', freeOver: null },
      { country: 'CH', price: '12.00', freeOver: null },
      { country: 'DE', price: '5.50', freeOver: null },
    ])
    // BEGIN, update the method (locking it), replace the rates, read it back, COMMIT
    assert.equal(statementsOf(patched), 5)
    const many = await asAdmin('PATCH', `/api/shipping-methods/${id}`, {
      rates: ['AT', 'BE', 'CH', 'DK', 'ES', 'FR', 'IT', 'NL', 'PL', 'SE'].map((country) => ({ country, price: 20 })),
    })
    assert.equal(many.json().rates.length, 10)
    assert.equal(statementsOf(many), 5, 'as many for ten rates')
    const renamed = await asAdmin('PATCH', `/api/shipping-methods/${id}`, { active: false, position: 3 })
    assert.deepEqual([renamed.json().active, renamed.json().position, renamed.json().rates.length], [false, 3, 10], 'rates kept when not sent')
    const missing = await asAdmin('PATCH', `/api/shipping-methods/${id + 1000}`, { name: 'x' })
    assert.equal(missing.statusCode, 404, missing.body)
    assert.equal(missing.json().error.code, 'ORDERS_SHIPPING_METHOD_NOT_FOUND')
  })

  test('a shopper sees the methods for a country, priced for the cart; a country not served is a 422', async () => {
    await asAdmin('POST', '/api/shipping-methods', standard)
    await asAdmin('POST', '/api/shipping-methods', express)
    await asAdmin('POST', '/api/shipping-methods', { code: 'old', name: 'Old', active: false, rates: [{ country: 'FR', price: 1 }] })
    const options = async (country: string, cart?: string) => {
      const response = await send('GET', `/api/store/shipping-methods?country=${country}`, cart ? { 'brisk-cart-token': cart } : {})
      return { response, items: response.statusCode === 200 ? response.json().items : undefined }
    }
    const noCart = await options('DE')
    assert.equal(noCart.response.statusCode, 200, noCart.response.body)
    assert.equal(noCart.response.headers['cache-control'], 'no-store')
    assert.deepEqual(noCart.items, [
      { code: 'standard', name: 'Standard', price: '4.90', freeOver: '50.00', free: false },
      { code: 'express', name: 'Express', price: '9.90', freeOver: null, free: false },
    ])
    assert.equal(statementsOf(noCart.response), 1)

    const cola = await createProduct(ctx.db, { price: '10.00', taxRate: '10' })
    const token = (await send('POST', '/api/store/carts')).json().token as string
    const add = (quantity: number) => send('PATCH', '/api/store/cart', { 'brisk-cart-token': token }, { add: [{ productId: cola.id, quantity }] })
    await add(4)
    const under = await options('DE', token)
    assert.deepEqual(under.items[0], { code: 'standard', name: 'Standard', price: '4.90', freeOver: '50.00', free: false }, '44.00 in the cart')
    await add(1)
    const over = await options('DE', token)
    assert.deepEqual(over.items[0], { code: 'standard', name: 'Standard', price: '0.00', freeOver: '50.00', free: true }, '55.00 in the cart')
    assert.deepEqual(over.items[1].price, '9.90')
    assert.equal(statementsOf(over.response), 2, 'the methods and the cart (its products cached)')
    assert.deepEqual((await options('AT', token)).items, [{ code: 'standard', name: 'Standard', price: '6.90', freeOver: null, free: false }])

    const before = await rows()
    const notServed = await options('FR', token)
    assert.equal(notServed.response.statusCode, 422, notServed.response.body)
    assert.equal(notServed.response.json().error.code, 'ORDERS_COUNTRY_NOT_SERVED')
    assert.equal(notServed.response.json().error.details.country, 'FR', 'an inactive method serves nobody')
    assert.equal((await options('de')).response.statusCode, 400)
    assert.deepEqual(await rows(), before)
  })

  test('only an admin manages shipping methods', async () => {
    const cashier = (await createToken(ctx.db, 'cashier')).authorization
    const created = await send('POST', '/api/shipping-methods', { authorization: cashier }, standard)
    assert.equal(created.statusCode, 403, created.body)
    assert.equal(created.json().error.code, 'ACCESS_ROLE_FORBIDDEN')
    assert.equal((await send('GET', '/api/shipping-methods', { authorization: cashier })).statusCode, 403)
    assert.equal((await send('PATCH', '/api/shipping-methods/1', { authorization: cashier }, { name: 'x' })).statusCode, 403)
    assert.equal((await send('GET', '/api/shipping-methods')).statusCode, 401)
    assert.equal((await ctx.db.primary.selectFrom('shipping_method').select('id').execute()).length, 0)
  })
})
