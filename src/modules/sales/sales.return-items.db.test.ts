import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { addStock, createLocation, createProduct, createToken, ledgerSum, stockOf } from '../../../test/factories.ts'
import { rejects, useSales } from './sales.test-support.ts'

describeEachDatabase('sales: returns', (ctx) => {
  const { sales } = useSales(ctx)

  test('returns: partial quantities, exact refunds, never more than was sold', async () => {
    const location = await createLocation(ctx.db)
    const product = await createProduct(ctx.db, { price: '0.99', taxRate: '7', units: { box12: '12' } })
    await addStock(ctx.db, location.id, [{ productId: product.id, quantity: '100' }])
    const { principal } = await createToken(ctx.db, 'cashier')
    const { body: invoice } = await sales().createInvoice(principal, {
      locationId: location.id,
      lines: [
        { productId: product.id, quantity: 3 },
        { productId: product.id, unit: 'box12', quantity: 1, discountPercent: 10 },
      ],
      payments: [{ method: 'cash', amount: 20 }],
      submit: true,
    })
    assert.equal(Number(await stockOf(ctx.db, location.id, product.id)), 85)
    const [single, box] = invoice.lines
    // 3 × 0.99 = 2.97, tax 0.21 → 3.18; box: 11.88 − 1.19 = 10.69, tax 0.75 → 11.44
    assert.equal(single!.totalAmount, '3.18')
    assert.equal(box!.totalAmount, '11.44')
    assert.equal(invoice.total, '14.62')
    assert.equal(invoice.changeDue, '5.38')

    const refused = await rejects(
      sales().returnItems(principal, invoice.id, { lines: [{ lineId: single!.id, quantity: 4 }] }),
      'SALES_RETURN_EXCEEDS_SOLD',
    )
    assert.equal(refused.kind, 'invalid')
    assert.deepEqual(
      [refused.message, refused.details],
      [
        `Cannot return more than was sold: lines[0] (invoice line ${single!.id}): asked 4, returnable 3.`,
        { lines: [{ field: '/lines/0', lineId: single!.id, requested: '4', returnable: '3' }] },
      ],
    )
    const first = await sales().returnItems(principal, invoice.id, { lines: [{ lineId: single!.id, quantity: 1 }] })
    assert.equal(first.body.return.totalAmount, '1.06')
    const second = await sales().returnItems(principal, invoice.id, {
      lines: [
        { lineId: single!.id, quantity: 1 },
        { lineId: single!.id, quantity: 1 },
        { lineId: box!.id, quantity: '0.5' },
      ],
    })
    // the rest of the single line: exactly 3.18 − 1.06 = 2.12
    assert.equal(second.body.return.lines[0]!.totalAmount, '2.12')
    assert.equal(second.body.return.lines[1]!.baseQuantity, '6')
    await rejects(
      sales().returnItems(principal, invoice.id, { lines: [{ lineId: single!.id, quantity: '0.001' }] }),
      'SALES_RETURN_EXCEEDS_SOLD',
    )
    const last = await sales().returnItems(principal, invoice.id, { lines: [{ lineId: box!.id, quantity: '0.5' }] })
    assert.equal(
      [first, second, last].reduce((sum, r) => sum + Math.round(Number(r.body.return.totalAmount) * 100), 0),
      1462,
    )
    assert.equal(last.body.invoice.returnedTotal, '14.62')
    assert.equal(Number(await stockOf(ctx.db, location.id, product.id)), 100)
    assert.equal(Number(await ledgerSum(ctx.db, location.id, product.id)), 100)
    await rejects(sales().cancelInvoice(principal, invoice.id), 'ACCESS_ROLE_FORBIDDEN')
  })
})
