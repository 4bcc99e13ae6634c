import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Big } from '../../infra/decimal.ts'
import { AppError } from '../../infra/errors.ts'
import { allocate, applyTenders, priceInvoice, refundFor } from './sales.pricing.ts'

const b = (value: string | number) => new Big(value)
const none = { percent: null, amount: b(0) }
const cents = fc.integer({ min: 0, max: 1_000_000 }).map((n) => b(n).div(100))

test('an invoice discount is spread exactly, largest remainders first', () => {
  assert.deepEqual(
    allocate(b('1.00'), [b('8.40'), b('8.40'), b('8.40')]).map(String),
    ['0.34', '0.33', '0.33'],
  )
  assert.deepEqual(allocate(b('0.05'), [b(0), b(0)]).map(String), ['0', '0'].map((v) => String(b(v))))
  fc.assert(
    fc.property(fc.array(cents, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 100 }), (weights, pct) => {
      const total = weights.reduce((s, w) => s.plus(w), b(0))
      const amount = total.times(pct).div(100).round(2, Big.roundDown)
      const shares = allocate(amount, weights)
      const sum = shares.reduce((s, x) => s.plus(x), b(0))
      assert.ok(total.eq(0) ? sum.eq(0) : sum.eq(amount))
      shares.forEach((share, i) => {
        assert.ok(share.gte(0) && share.lte(weights[i]!))
        assert.ok(share.eq(share.round(2)))
      })
    }),
  )
})

test('lines are rounded half-up to the cent, and totals are sums of lines', () => {
  const priced = priceInvoice(
    [
      { quantity: b('0.347'), unitPrice: b('12.49'), taxRate: b(7), discount: none },
      { quantity: b(3), unitPrice: b('0.335'), taxRate: b(0), discount: { percent: b(10), amount: b(0) } },
    ],
    { percent: null, amount: b('0.10') },
  )
  // 4.33403 → 4.33; 1.005 → 1.01, 10 % = 0.101 → 0.10
  assert.deepEqual(
    priced.lines.map((l) => [l.grossAmount, l.discountAmount, l.invoiceDiscountAmount, l.netAmount, l.taxAmount].map(String)),
    [
      ['4.33', '0', '0.08', '4.25', '0.3'],
      ['1.01', '0.1', '0.02', '0.89', '0'],
    ],
  )
  assert.equal(priced.total.toFixed(2), '5.44')
  assert.throws(
    () => priceInvoice([{ quantity: b(1), unitPrice: b(1), taxRate: b(0), discount: none }], { percent: null, amount: b(2) }),
    (e: unknown) => e instanceof AppError && e.code === 'SALES_DISCOUNT_EXCEEDS_INVOICE',
  )
})

test('cash gives change; card may not overpay', () => {
  const paid = applyTenders(b('16.50'), [
    { method: 'card', amount: b(10) },
    { method: 'cash', amount: b(20) },
  ])
  assert.equal(paid.paid.toFixed(2), '16.50')
  assert.equal(paid.change.toFixed(2), '13.50')
  assert.throws(
    () => applyTenders(b(5), [{ method: 'card', amount: b(6) }]),
    (e: unknown) => e instanceof AppError && e.code === 'SALES_OVERPAYMENT',
  )
  assert.throws(
    () => applyTenders(b(5), [{ method: 'cash', amount: b('0.001') }]),
    (e: unknown) => e instanceof AppError && e.code === 'SALES_PAYMENT_NOT_CENTS',
  )
})

test('returns in any number of steps refund exactly what the line cost', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      cents,
      cents,
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 40 }),
      (quantity, net, tax, steps) => {
        let returned = b(0)
        let returnedNet = b(0)
        let returnedTax = b(0)
        for (const step of steps) {
          const left = b(quantity).minus(returned)
          const q = left.lt(step) ? left : b(step)
          if (q.lte(0)) break
          const refund = refundFor(
            { quantity: b(quantity), netAmount: net, taxAmount: tax, returnedQuantity: returned, returnedNet, returnedTax },
            q,
          )
          assert.ok(refund.net.gte(0) && refund.tax.gte(0))
          returned = returned.plus(q)
          returnedNet = returnedNet.plus(refund.net)
          returnedTax = returnedTax.plus(refund.tax)
        }
        if (returned.eq(quantity)) {
          assert.ok(returnedNet.eq(net) && returnedTax.eq(tax))
        } else {
          assert.ok(returnedNet.lte(net) && returnedTax.lte(tax))
        }
      },
    ),
  )
})
