import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Big } from '../../infra/decimal.ts'
import { AppError } from '../../infra/errors.ts'
import { allocate, applyTenders, centsText, priceInCents, priceInvoice, priceInvoiceExact, refundFor } from './catalog.pricing.ts'

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
    priced.lines.map((l) => [l.grossAmount, l.discountAmount, l.invoiceDiscountAmount, l.netAmount, l.taxAmount]),
    [
      ['4.33', '0.00', '0.08', '4.25', '0.30'],
      ['1.01', '0.10', '0.02', '0.89', '0.00'],
    ],
  )
  assert.equal(priced.total, '5.44')
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

/** A decimal with up to `scale` places, sometimes huge, as text. */
const decimal = (maxUnits: number, scale: number) =>
  fc
    .tuple(fc.integer({ min: 0, max: maxUnits }), fc.integer({ min: 0, max: scale }))
    .map(([units, places]) => b(units).div(10 ** places))

const outcome = (price: () => unknown) => {
  try {
    return price()
  } catch (error) {
    return error instanceof AppError ? { error: error.code } : { unexpected: String(error) }
  }
}

test('the cents fast path gives exactly what the big.js reference gives, errors included', () => {
  const line = fc.record({
    quantity: fc.oneof(decimal(50, 0), decimal(100_000_000, 6), decimal(Number.MAX_SAFE_INTEGER, 3)),
    unitPrice: fc.oneof(decimal(100_000, 2), decimal(10_000_000_000, 11), decimal(Number.MAX_SAFE_INTEGER, 2)),
    taxRate: decimal(100_000, 3).map((r) => (r.gt(100) ? b(100) : r)),
    discount: fc.oneof(
      fc.constant(none),
      decimal(1_000_000, 4).map((p) => ({ percent: p.gt(100) ? b(100) : p, amount: b(0) })),
      decimal(100_000, 2).map((amount) => ({ percent: null, amount })),
    ),
  })
  const invoiceDiscount = fc.oneof(
    { weight: 4, arbitrary: fc.constant(none) },
    fc.constant({ percent: b(0), amount: b(0) }),
    decimal(1000, 2).map((amount) => ({ percent: null, amount })),
    decimal(100, 1).map((percent) => ({ percent, amount: b(0) })),
  )
  fc.assert(
    fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), invoiceDiscount, (lines, discount) => {
      assert.deepEqual(
        outcome(() => priceInvoice(lines, discount)),
        outcome(() => priceInvoiceExact(lines, discount)),
      )
    }),
    { numRuns: 2000 },
  )
})

test('values too large for exact cents in a double are priced by big.js', () => {
  const priced = priceInvoice(
    [{ quantity: b('123456789.123456'), unitPrice: b('98765.4321'), taxRate: b('19.5'), discount: none }],
    none,
  )
  assert.equal(priced.lines[0]!.grossAmount, '12193263123456.71')
  assert.deepEqual(priced, priceInvoiceExact([{ quantity: b('123456789.123456'), unitPrice: b('98765.4321'), taxRate: b('19.5'), discount: none }], none))
  // ... while an ordinary till sale takes the cents path
  const till = [
    { quantity: b(3), unitPrice: b('2.49'), taxRate: b(7), discount: none },
    { quantity: b('0.347'), unitPrice: b('12.49'), taxRate: b('19'), discount: { percent: b('12.5'), amount: b(0) } },
  ]
  assert.deepEqual(priceInCents(till, none), priceInvoiceExact(till, none))
  assert.equal(priceInCents(till, { percent: b(5), amount: b(0) }), undefined)
  assert.equal(centsText(0), '0.00')
  assert.equal(centsText(5), '0.05')
  assert.equal(centsText(1234567), '12345.67')
})
