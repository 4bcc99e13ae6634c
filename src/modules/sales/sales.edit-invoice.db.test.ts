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

  test('errors name request lines by their path (add[0]) and stored lines by their id (invoice line 17)', async () => {
    const { location, products, principal } = await shop(ctx.db, 2)
    const invoice = await draft(principal, location.id, [products[0]!.id], '2')
    const [first] = invoice.lines
    const refused = async (input: Parameters<ReturnType<typeof sales>['editInvoice']>[2], code: string) => {
      const error = await rejects(sales().editInvoice(principal, invoice.id, input), code)
      return [error.message, error.details]
    }
    assert.deepEqual(await refused({ change: [{ lineId: first!.id, discountAmount: '5.01' }] }, 'SALES_DISCOUNT_EXCEEDS_LINE'), [
      `change[0] (invoice line ${first!.id}): the discount 5.01 is larger than the line amount 5.00.`,
      { field: '/change/0', lineId: first!.id },
    ])
    assert.deepEqual(
      await refused({ add: [{ productId: products[1]!.id, quantity: 1, discountAmount: '3' }] }, 'SALES_DISCOUNT_EXCEEDS_LINE'),
      ['add[0]: the discount 3.00 is larger than the line amount 2.50.', { field: '/add/0' }],
    )
    assert.deepEqual(await refused({ remove: [first!.id, 999_999] }, 'SALES_LINE_NOT_FOUND'), [
      `Invoice ${invoice.id} has no such line: remove[1] (invoice line 999999).`,
      { lines: [{ field: '/remove/1', lineId: 999_999 }] },
    ])
    assert.deepEqual(
      await refused({ change: [{ lineId: first!.id, quantity: 1 }, { lineId: first!.id, quantity: 2 }] }, 'SALES_LINE_TWICE'),
      [`change[1]: invoice line ${first!.id} is changed or removed twice.`, { field: '/change/1', lineId: first!.id }],
    )
    assert.deepEqual(await refused({ add: [{ sku: 'NOPE', quantity: 1 }] }, 'CATALOG_UNKNOWN_PRODUCT'), [
      'No such product: add[0] (SKU NOPE).',
      { lines: [{ field: '/add/0', sku: 'NOPE' }] },
    ])
    assert.deepEqual(await refused({ add: [{ productId: products[1]!.id, quantity: 0 }] }, 'SALES_QUANTITY_NOT_POSITIVE'), [
      'add[0].quantity must be above zero.',
      { field: '/add/0/quantity' },
    ])
    assert.deepEqual(await refused({ discountPercent: 150 }, 'SALES_INVALID_PERCENT'), [
      'discountPercent must be from 0 to 100.',
      { field: '/discountPercent' },
    ])
    const overpaid = await rejects(
      sales().payInvoice(principal, invoice.id, { payments: [{ method: 'cash', amount: '1' }, { method: 'card', amount: '9.9' }] }),
      'SALES_OVERPAYMENT',
    )
    assert.deepEqual(
      [overpaid.message, overpaid.details],
      ['payments[1] (card) is 9.90, more than the 4.50 due.', { field: '/payments/1', due: '4.50' }],
    )
  })
})
