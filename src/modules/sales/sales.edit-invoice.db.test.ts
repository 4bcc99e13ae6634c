import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import { rejects, shop, useSales } from './sales.test-support.ts'

describeEachDatabase('sales: edit a draft', (ctx) => {
  const { sales, draft } = useSales(ctx)

  test('an edit adds, changes and removes lines and re-prices the draft; the stored invoice is what it returned', async () => {
    const { location, products, principal } = await shop(ctx.db, 4)
    const invoice = await draft(principal, location.id, [products[0]!.id, products[1]!.id, products[2]!.id])
    const [first, second, third] = invoice.lines
    const { result, count } = await countQueries(() =>
      sales().editInvoice(principal, invoice.id, {
        add: [{ productId: products[3]!.id, quantity: 2 }],
        change: [{ lineId: first!.id, quantity: 3 }],
        remove: [third!.id],
        discountPercent: 10,
        note: 'regular customer',
      }),
    )
    assert.equal(count, 5)
    const edited = result.body
    assert.deepEqual(
      edited.lines.map((l) => [l.productId, l.position, l.quantity, l.grossAmount]),
      [
        [products[0]!.id, 0, '3', '7.50'],
        [products[1]!.id, 1, '1', '2.50'],
        [products[3]!.id, 3, '2', '5.00'],
      ],
    )
    assert.equal(edited.lines[1]!.id, second!.id)
    // 15.00 gross, 10 % off the invoice = 1.50 spread over the lines, net 13.50; tax per line,
    // rounded half-up: 6.75 → 0.68, 2.25 → 0.23, 4.50 → 0.45
    assert.equal(edited.subtotal, '15.00')
    assert.equal(edited.discountAmount, '1.50')
    assert.equal(edited.netTotal, '13.50')
    assert.equal(edited.taxTotal, '1.36')
    assert.equal(edited.total, '14.86')
    assert.equal(edited.lineCount, 3)
    assert.equal(edited.note, 'regular customer')
    assert.deepEqual(await sales().getInvoice(principal, invoice.id), edited)
    // null takes the invoice discount away again
    const undone = await sales().editInvoice(principal, invoice.id, { discountPercent: null })
    assert.equal(undone.body.discountAmount, '0.00')
    assert.equal(undone.body.total, '16.50')
  })

  test('a line named twice, an unknown line, an edit below what is paid and an edit of a sale are refused, writing nothing', async () => {
    const { location, products, principal } = await shop(ctx.db, 2)
    const invoice = await draft(principal, location.id, [products[0]!.id, products[1]!.id], '2')
    const [first, second] = invoice.lines
    await rejects(
      sales().editInvoice(principal, invoice.id, { change: [{ lineId: first!.id, quantity: 1 }], remove: [first!.id] }),
      'SALES_LINE_TWICE',
    )
    await rejects(sales().editInvoice(principal, invoice.id, { remove: [second!.id + 1000] }), 'SALES_LINE_NOT_FOUND')
    await sales().payInvoice(principal, invoice.id, { payments: [{ method: 'card', amount: '6' }] })
    const paid = await sales().getInvoice(principal, invoice.id)
    // 11.00 in all, 6.00 paid: removing a line would leave 5.50
    await rejects(sales().editInvoice(principal, invoice.id, { remove: [second!.id] }), 'SALES_EDIT_BELOW_PAID')
    assert.deepEqual(await sales().getInvoice(principal, invoice.id), paid)
    await sales().submitInvoice(principal, invoice.id, { payments: [{ method: 'cash', amount: '5' }] })
    await rejects(sales().editInvoice(principal, invoice.id, { note: 'too late' }), 'SALES_INVOICE_NOT_DRAFT')
  })
})
