import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { addStock, createLocation, createProduct, createToken, ledgerSum, stockOf } from '../../../test/factories.ts'
import type { AppError } from '../../infra/errors.ts'
import { rejects, shop, useSales } from './sales.test-support.ts'

describeEachDatabase('sales: submit invoice', (ctx) => {
  const { sales, draft, submitted } = useSales(ctx)

  test('a draft is created, paid in split tender and submitted: stock, ledger and totals', async () => {
    const { location, products, principal } = await shop(ctx.db, 3)
    const invoice = await draft(
      principal,
      location.id,
      products.map((p) => p.id),
      '2',
    )
    assert.equal(invoice.status, 'draft')
    assert.equal(invoice.subtotal, '15.00')
    assert.equal(invoice.taxTotal, '1.50')
    assert.equal(invoice.total, '16.50')
    const paid = await sales().payInvoice(principal, invoice.id, { payments: [{ method: 'card', amount: '10' }] })
    assert.equal(paid.body.amountDue, '6.50')
    await rejects(sales().submitInvoice(principal, invoice.id), 'SALES_INVOICE_NOT_PAID')
    const done = await sales().submitInvoice(principal, invoice.id, { payments: [{ method: 'cash', amount: '20' }] })
    assert.equal(done.body.status, 'submitted')
    assert.equal(done.body.paidTotal, '16.50')
    assert.equal(done.body.changeDue, '13.50')
    assert.deepEqual(
      done.body.payments.map((p) => [p.method, p.amount, p.tendered, p.change]),
      [
        ['card', '10.00', '10.00', '0.00'],
        ['cash', '6.50', '20.00', '13.50'],
      ],
    )
    for (const p of products) {
      assert.equal(await stockOf(ctx.db, location.id, p.id), '998.000000')
      assert.equal(Number(await ledgerSum(ctx.db, location.id, p.id)), 998)
    }
    assert.deepEqual(await sales().getInvoice(principal, invoice.id), done.body)
    await rejects(sales().submitInvoice(principal, invoice.id), 'SALES_INVOICE_NOT_DRAFT')
  })

  test('50 concurrent submits of 1 unit competing for 10: exactly 10 succeed, stock ends at 0', async () => {
    const location = await createLocation(ctx.db)
    const product = await createProduct(ctx.db, { price: '3.00' })
    await addStock(ctx.db, location.id, [{ productId: product.id, quantity: '10' }])
    const { principal } = await createToken(ctx.db, 'cashier')
    const drafts = await Promise.all(Array.from({ length: 50 }, () => draft(principal, location.id, [product.id])))
    const results = await Promise.allSettled(
      drafts.map((d) => sales().submitInvoice(principal, d.id, { payments: [{ method: 'card', amount: '3.00' }] })),
    )
    const ok = results.filter((r) => r.status === 'fulfilled')
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as AppError] : []))
    assert.equal(ok.length, 10)
    assert.equal(refused.length, 40)
    for (const error of refused) {
      assert.equal(error.code, 'SALES_INSUFFICIENT_STOCK')
      assert.equal(error.kind, 'conflict')
    }
    assert.equal(await stockOf(ctx.db, location.id, product.id), '0.000000')
    assert.equal(Number(await ledgerSum(ctx.db, location.id, product.id)), 0)
    const statuses = await ctx.db.primary
      .selectFrom('sales_invoice')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .orderBy('status')
      .execute()
    assert.deepEqual(
      statuses.map((s) => [s.status, Number(s.n)]),
      [
        ['draft', 40],
        ['submitted', 10],
      ],
    )
  })

  test('a short line is refused with 409 naming it, and nothing is written', async () => {
    const { location, products, principal } = await shop(ctx.db, 3, { stock: '5' })
    const invoice = await draft(
      principal,
      location.id,
      products.map((p) => p.id),
      '4',
    )
    await sales().editInvoice(principal, invoice.id, { change: [{ lineId: invoice.lines[1]!.id, quantity: 6 }] })
    const error = await rejects(
      sales().submitInvoice(principal, invoice.id, { payments: [{ method: 'cash', amount: '1000' }] }),
      'SALES_INSUFFICIENT_STOCK',
    )
    const details = error.details as { lines: { lineIds: number[]; sku: string; requested: string; available: string }[] }
    assert.deepEqual(details.lines, [
      {
        fields: [],
        lineIds: [invoice.lines[1]!.id],
        productId: products[1]!.id,
        sku: products[1]!.sku,
        requested: '6',
        available: '5',
      },
    ])
    assert.equal(
      error.message,
      `Not enough stock for 1 line(s): invoice line ${invoice.lines[1]!.id} (${products[1]!.sku}: requested 6, available 5).`,
    )
    const after = await sales().getInvoice(principal, invoice.id)
    assert.equal(after.status, 'draft')
    assert.equal(after.payments.length, 0)
    assert.equal(await stockOf(ctx.db, location.id, products[0]!.id), '5.000000')
    const rollups = await ctx.db.primary.selectFrom('sales_rollup_hour').selectAll().execute()
    assert.equal(rollups.length, 0)
  })

  test('concurrent submits over the same products in opposite line orders never deadlock', async () => {
    const { location, products, principal } = await shop(ctx.db, 40)
    const ids = products.map((p) => p.id)
    const forward = await Promise.all(Array.from({ length: 12 }, () => draft(principal, location.id, ids)))
    const backward = await Promise.all(Array.from({ length: 12 }, () => draft(principal, location.id, [...ids].reverse())))
    const all = forward.flatMap((f, i) => [f, backward[i]!])
    await Promise.all(all.map((d) => sales().submitInvoice(principal, d.id, { payments: [{ method: 'card', amount: d.total }] })))
    const cancels = all.slice(0, 8)
    const returns = all.slice(8, 16)
    await Promise.all([
      ...cancels.map((d) => sales().cancelInvoice(principal, d.id)),
      ...returns.map((d) => sales().returnItems(principal, d.id, { lines: [...d.lines].reverse().map((l) => ({ lineId: l.id, quantity: 1 })) })),
      ...Array.from({ length: 8 }, (_, i) => submitted(principal, location.id, i % 2 ? ids : [...ids].reverse(), '1')),
    ])
    // 24 sold, 8 cancelled, 8 returned, 8 more sold: 16 units out
    for (const id of ids) {
      assert.equal(Number(await stockOf(ctx.db, location.id, id)), 1000 - 16)
      assert.equal(Number(await ledgerSum(ctx.db, location.id, id)), 1000 - 16)
    }
  })
})
