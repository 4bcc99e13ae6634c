import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { rejects, shop, useSales } from './sales.test-support.ts'

describeEachDatabase('sales: pay a draft', (ctx) => {
  const { sales, draft } = useSales(ctx)

  test('tenders apply in order: cash gives change, a card never pays more than is due, nothing due takes nothing', async () => {
    const { location, products, principal } = await shop(ctx.db, 1)
    // 2 × 2.50 + 10 % tax = 5.50
    const invoice = await draft(principal, location.id, [products[0]!.id], '2')
    await rejects(sales().payInvoice(principal, invoice.id, { payments: [] }), 'SALES_NO_PAYMENT')
    const card = await sales().payInvoice(principal, invoice.id, { payments: [{ method: 'card', amount: '2' }] })
    assert.equal(card.body.amountDue, '3.50')
    await rejects(sales().payInvoice(principal, invoice.id, { payments: [{ method: 'card', amount: '4' }] }), 'SALES_OVERPAYMENT')
    const cash = await sales().payInvoice(principal, invoice.id, { payments: [{ method: 'cash', amount: '5', reference: 'till 1' }] })
    assert.equal(cash.body.amountDue, '0.00')
    assert.equal(cash.body.paidTotal, '5.50')
    assert.equal(cash.body.changeDue, '1.50')
    assert.equal(cash.body.status, 'draft')
    assert.deepEqual(
      cash.body.payments.map((p) => [p.method, p.amount, p.tendered, p.change, p.reference]),
      [
        ['card', '2.00', '2.00', '0.00', null],
        ['cash', '3.50', '5.00', '1.50', 'till 1'],
      ],
    )
    await rejects(sales().payInvoice(principal, invoice.id, { payments: [{ method: 'cash', amount: '1' }] }), 'SALES_NOTHING_DUE')
    assert.deepEqual(await sales().getInvoice(principal, invoice.id), cash.body)
  })
})
