import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import { describeEachDatabase } from '../../../test/db.ts'
import { addStock, createLocation, createProducts, createToken, stockOf } from '../../../test/factories.ts'

describeEachDatabase('sales over HTTP', (ctx) => {
  let app: Awaited<ReturnType<typeof buildApp>>
  before(async () => {
    app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })
  })
  after(async () => {
    await app?.close()
  })

  async function setup() {
    const location = await createLocation(ctx.db)
    const products = await createProducts(ctx.db, 3, { price: '4.20', taxRate: '20' })
    await addStock(
      ctx.db,
      location.id,
      products.map((p) => ({ productId: p.id, quantity: '10' })),
    )
    const cashier = await createToken(ctx.db, 'cashier', [location.code])
    return { location, products, cashier }
  }

  test('a till sells through create, pay and submit, retrying each with its key', async () => {
    const { location, products, cashier } = await setup()
    const headers = (key: string) => ({ authorization: cashier.authorization, 'idempotency-key': key })
    const createBody = {
      locationId: location.id,
      lines: products.map((p) => ({ sku: p.sku, quantity: 2 })),
      discountAmount: '1.00',
    }
    const created = await app.http.inject({ method: 'POST', url: '/api/sales/invoices', headers: headers('c1'), payload: createBody })
    assert.equal(created.statusCode, 201, created.body)
    const invoice = created.json()
    // 3 × 8.40 − 1.00 spread 0.34/0.33/0.33; tax per line 1.61 × 3 → 24.20 + 4.83
    assert.equal(invoice.total, '29.03')
    // the token lookup (first request only), then BEGIN, key claim, products, insert, stored response, COMMIT
    assert.match(String(created.headers['server-timing']), /db;desc="7 statements"/)
    const retried = await app.http.inject({ method: 'POST', url: '/api/sales/invoices', headers: headers('c1'), payload: createBody })
    assert.equal(retried.statusCode, 201)
    assert.equal(retried.headers['idempotent-replayed'], 'true')
    assert.equal(retried.body, created.body)
    const reused = await app.http.inject({
      method: 'POST',
      url: '/api/sales/invoices',
      headers: headers('c1'),
      payload: { ...createBody, discountAmount: '2.00' },
    })
    assert.equal(reused.statusCode, 422)
    assert.equal(reused.json().error.code, 'SALES_IDEMPOTENCY_KEY_REUSED')

    const payBody = { payments: [{ method: 'card', amount: '10.00', reference: 'auth 123' }] }
    const paid = await app.http.inject({
      method: 'POST',
      url: `/api/sales/invoices/${invoice.id}/payments`,
      headers: headers('p1'),
      payload: payBody,
    })
    assert.equal(paid.statusCode, 200, paid.body)
    assert.equal(paid.json().amountDue, '19.03')
    const paidAgain = await app.http.inject({
      method: 'POST',
      url: `/api/sales/invoices/${invoice.id}/payments`,
      headers: headers('p1'),
      payload: payBody,
    })
    assert.equal(paidAgain.body, paid.body)

    const submitBody = { payments: [{ method: 'cash', amount: 20 }] }
    const submits = await Promise.all(
      [1, 2, 3].map(() =>
        app.http.inject({
          method: 'POST',
          url: `/api/sales/invoices/${invoice.id}/submit`,
          headers: headers('s1'),
          payload: submitBody,
        }),
      ),
    )
    for (const s of submits) {
      assert.equal(s.statusCode, 200, s.body)
      assert.equal(s.body, submits[0]!.body)
    }
    const submitted = submits[0]!.json()
    assert.equal(submitted.status, 'submitted')
    assert.equal(submitted.changeDue, '0.97')
    for (const p of products) assert.equal(await stockOf(ctx.db, location.id, p.id), '8.000000')

    const got = await app.http.inject({
      method: 'GET',
      url: `/api/sales/invoices/${invoice.id}`,
      headers: { authorization: cashier.authorization },
    })
    assert.equal(got.body, submits[0]!.body)
    assert.match(String(got.headers['server-timing']), /db;desc="1 statements?"/)

    const list = await app.http.inject({
      method: 'GET',
      url: `/api/sales/invoices?locationId=${location.id}&status=submitted&limit=100`,
      headers: { authorization: cashier.authorization },
    })
    assert.equal(list.statusCode, 200, list.body)
    assert.equal(list.json().items.length, 1)
  })

  test('errors: short stock names the line, price override is forbidden, returns are bounded', async () => {
    const { location, products, cashier } = await setup()
    const auth = { authorization: cashier.authorization }
    const override = await app.http.inject({
      method: 'POST',
      url: '/api/sales/invoices',
      headers: auth,
      payload: { locationId: location.id, lines: [{ productId: products[0]!.id, quantity: 1, unitPrice: '1.00' }] },
    })
    assert.equal(override.statusCode, 403)
    assert.equal(override.json().error.code, 'SALES_PRICE_OVERRIDE_FORBIDDEN')

    const short = await app.http.inject({
      method: 'POST',
      url: '/api/sales/invoices',
      headers: auth,
      payload: {
        locationId: location.id,
        lines: [
          { productId: products[0]!.id, quantity: 11 },
          { productId: products[1]!.id, quantity: 1 },
        ],
        payments: [{ method: 'cash', amount: 100 }],
        submit: true,
      },
    })
    assert.equal(short.statusCode, 409)
    const error = short.json().error
    assert.equal(error.code, 'SALES_INSUFFICIENT_STOCK')
    assert.equal(error.details.lines.length, 1)
    assert.equal(error.details.lines[0].sku, products[0]!.sku)

    const sale = await app.http.inject({
      method: 'POST',
      url: '/api/sales/invoices',
      headers: auth,
      payload: {
        locationId: location.id,
        lines: [{ productId: products[0]!.id, quantity: 2 }],
        payments: [{ method: 'card', amount: '10.08' }],
        submit: true,
      },
    })
    assert.equal(sale.statusCode, 201, sale.body)
    const line = sale.json().lines[0]
    const tooMuch = await app.http.inject({
      method: 'POST',
      url: `/api/sales/invoices/${sale.json().id}/returns`,
      headers: auth,
      payload: { lines: [{ lineId: line.id, quantity: 3 }] },
    })
    assert.equal(tooMuch.statusCode, 422)
    assert.equal(tooMuch.json().error.code, 'SALES_RETURN_EXCEEDS_SOLD')
    const returned = await app.http.inject({
      method: 'POST',
      url: `/api/sales/invoices/${sale.json().id}/returns`,
      headers: { ...auth, 'idempotency-key': 'r1' },
      payload: { lines: [{ lineId: line.id, quantity: 1 }], reason: 'damaged', refundMethod: 'card' },
    })
    assert.equal(returned.statusCode, 201, returned.body)
    assert.equal(returned.json().return.totalAmount, '5.04')
    const replay = await app.http.inject({
      method: 'POST',
      url: `/api/sales/invoices/${sale.json().id}/returns`,
      headers: { ...auth, 'idempotency-key': 'r1' },
      payload: { lines: [{ lineId: line.id, quantity: 1 }], reason: 'damaged', refundMethod: 'card' },
    })
    assert.equal(replay.body, returned.body)
    assert.ok(replay.json().return.id > 0)
    assert.equal(await stockOf(ctx.db, location.id, products[0]!.id), '9.000000')

    const cancel = await app.http.inject({ method: 'POST', url: `/api/sales/invoices/${sale.json().id}/cancel`, headers: auth })
    assert.equal(cancel.statusCode, 403)
    const elsewhere = await createLocation(ctx.db)
    const forbidden = await app.http.inject({
      method: 'POST',
      url: '/api/sales/invoices',
      headers: auth,
      payload: { locationId: elsewhere.id, lines: [] },
    })
    assert.equal(forbidden.statusCode, 403)
    const anonymous = await app.http.inject({ method: 'GET', url: '/api/sales/invoices' })
    assert.equal(anonymous.statusCode, 401)
  })

  test('a manager edits a draft and cancels a submitted sale; reports read the rollups', async () => {
    const { location, products } = await setup()
    const manager = await createToken(ctx.db, 'manager')
    const auth = { authorization: manager.authorization }
    const created = await app.http.inject({
      method: 'POST',
      url: '/api/sales/invoices',
      headers: auth,
      payload: { locationId: location.id, lines: [{ productId: products[0]!.id, quantity: 1 }] },
    })
    const draft = created.json()
    const edited = await app.http.inject({
      method: 'PATCH',
      url: `/api/sales/invoices/${draft.id}`,
      headers: auth,
      payload: {
        add: [{ productId: products[1]!.id, quantity: '1.5', unitPrice: '4.00' }],
        change: [{ lineId: draft.lines[0].id, quantity: 3, discountPercent: 50 }],
        note: 'regular customer',
      },
    })
    assert.equal(edited.statusCode, 200, edited.body)
    const body = edited.json()
    assert.equal(body.lines.length, 2)
    // 3 × 4.20 = 12.60 − 50 % = 6.30 (+1.26 tax); 1.5 × 4.00 = 6.00 (+1.20 tax)
    assert.equal(body.total, '14.76')
    assert.equal(body.note, 'regular customer')
    const submitted = await app.http.inject({
      method: 'POST',
      url: `/api/sales/invoices/${draft.id}/submit`,
      headers: auth,
      payload: { payments: [{ method: 'cash', amount: 15 }] },
    })
    assert.equal(submitted.statusCode, 200, submitted.body)
    const day = submitted.json().submittedAt.slice(0, 10)
    const hourly = await app.http.inject({
      method: 'GET',
      url: `/api/reports/sales/hourly?locationId=${location.id}&date=${day}`,
      headers: auth,
    })
    assert.equal(hourly.statusCode, 200, hourly.body)
    const hours = hourly.json().hours as { invoices: number; totalAmount: string }[]
    assert.equal(hours.length, 24)
    assert.equal(hours.reduce((n, h) => n + h.invoices, 0), 1)
    assert.equal(hours.find((h) => h.invoices === 1)!.totalAmount, '14.76')
    const top = await app.http.inject({
      method: 'GET',
      url: `/api/reports/sales/top-products?locationId=${location.id}&from=${day}&by=quantity`,
      headers: auth,
    })
    assert.equal(top.statusCode, 200, top.body)
    assert.deepEqual(
      top.json().items.map((i: { sku: string; quantity: string }) => [i.sku, i.quantity]),
      [
        [products[0]!.sku, '3'],
        [products[1]!.sku, '1.5'],
      ],
    )
    const cancelled = await app.http.inject({ method: 'POST', url: `/api/sales/invoices/${draft.id}/cancel`, headers: auth })
    assert.equal(cancelled.statusCode, 200, cancelled.body)
    assert.equal(cancelled.json().status, 'cancelled')
    const after = await app.http.inject({
      method: 'GET',
      url: `/api/reports/sales/hourly?locationId=${location.id}&date=${day}&timeZone=UTC`,
      headers: auth,
    })
    assert.ok((after.json().hours as { invoices: number; totalAmount: string }[]).every((h) => h.invoices === 0 && h.totalAmount === '0.00'))
    for (const p of products) assert.equal(await stockOf(ctx.db, location.id, p.id), '10.000000')
    const badZone = await app.http.inject({
      method: 'GET',
      url: `/api/reports/sales/hourly?locationId=${location.id}&date=${day}&timeZone=Mars/Olympus`,
      headers: auth,
    })
    assert.equal(badZone.statusCode, 422)
  })

  test('a till that asks for `Prefer: return=minimal` gets a short receipt, also when its retry is replayed', async () => {
    const { location, products, cashier } = await setup()
    const sale = {
      locationId: location.id,
      lines: products.map((p) => ({ productId: p.id, quantity: 1 })),
      payments: [{ method: 'cash', amount: '20' }],
      submit: true,
    }
    const headers = { authorization: cashier.authorization, prefer: 'return=minimal', 'idempotency-key': 'till-7' }
    const sold = await app.http.inject({ method: 'POST', url: '/api/sales/invoices', headers, payload: sale })
    assert.equal(sold.statusCode, 201, sold.body)
    assert.equal(sold.headers['preference-applied'], 'return=minimal')
    assert.match(String(sold.headers['content-type']), /^application\/vnd\.brisk\.minimal\+json/)
    const receipt = sold.json()
    // 3 × 4.20 + 20 % tax = 15.12, change from 20
    assert.deepEqual(receipt, {
      id: receipt.id,
      status: 'submitted',
      lineCount: 3,
      subtotal: '12.60',
      taxTotal: '2.52',
      total: '15.12',
      paidTotal: '15.12',
      changeDue: '4.88',
      amountDue: '0.00',
    })
    const replayed = await app.http.inject({ method: 'POST', url: '/api/sales/invoices', headers, payload: sale })
    assert.equal(replayed.headers['idempotent-replayed'], 'true')
    assert.deepEqual(replayed.json(), receipt)
    // without the preference the same invoice comes back whole
    const whole = await app.http.inject({
      method: 'GET',
      url: `/api/sales/invoices/${receipt.id}`,
      headers: { authorization: cashier.authorization },
    })
    assert.equal(whole.json().lines.length, 3)
    assert.equal(whole.json().changeDue, '4.88')
  })
})
