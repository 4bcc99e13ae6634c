import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { addStock, createToken, stockOf } from '../../../test/factories.ts'
import { createSalesService } from './sales.service.ts'
import { rejects, shop, useSales } from './sales.test-support.ts'

describeEachDatabase('sales: idempotent writes', (ctx) => {
  const { sales, draft } = useSales(ctx)

  test('a retried create or submit with the same key writes once and returns the first response', async () => {
    const { location, products, principal } = await shop(ctx.db, 2)
    const input = { locationId: location.id, lines: products.map((p) => ({ productId: p.id, quantity: 1 })) }
    const first = await sales().createInvoice(principal, input, { idempotencyKey: 'create-1' })
    const again = await sales().createInvoice(principal, input, { idempotencyKey: 'create-1' })
    assert.equal(first.replayed, false)
    assert.equal(again.replayed, true)
    assert.deepEqual(again.body, first.body)
    await rejects(
      sales().createInvoice(principal, { ...input, note: 'other' }, { idempotencyKey: 'create-1' }),
      'SALES_IDEMPOTENCY_KEY_REUSED',
    )

    const payment = { payments: [{ method: 'cash' as const, amount: '20' }] }
    const submits = await Promise.all(
      Array.from({ length: 5 }, () => sales().submitInvoice(principal, first.body.id, payment, { idempotencyKey: 'submit-1' })),
    )
    assert.equal(submits.filter((s) => !s.replayed).length, 1)
    for (const s of submits) assert.deepEqual(s.body, submits[0]!.body)
    const later = await sales().submitInvoice(principal, first.body.id, payment, { idempotencyKey: 'submit-1' })
    assert.equal(later.replayed, true)
    assert.deepEqual(later.body, submits[0]!.body)
    // the same key with another body, or for another operation, is refused
    await rejects(
      sales().submitInvoice(principal, first.body.id, { payments: [] }, { idempotencyKey: 'submit-1' }),
      'SALES_IDEMPOTENCY_KEY_REUSED',
    )
    await rejects(sales().cancelInvoice(principal, first.body.id, { idempotencyKey: 'submit-1' }), 'SALES_IDEMPOTENCY_KEY_REUSED')

    const invoices = await ctx.db.primary.selectFrom('sales_invoice').select('id').execute()
    assert.equal(invoices.length, 1)
    const payments = await ctx.db.primary.selectFrom('sales_payment').select('id').execute()
    assert.equal(payments.length, 1)
    for (const p of products) assert.equal(await stockOf(ctx.db, location.id, p.id), '999.000000')

    // another token may use the same key for its own request
    const other = await createToken(ctx.db, 'cashier')
    const theirs = await sales().createInvoice(other.principal, input, { idempotencyKey: 'create-1' })
    assert.equal(theirs.replayed, false)
    assert.notEqual(theirs.body.id, first.body.id)

    // concurrent duplicates of a one-request checkout make one sale
    const checkout = { ...input, payments: [{ method: 'card' as const, amount: first.body.total }], submit: true }
    const results = await Promise.all(
      Array.from({ length: 4 }, () => sales().createInvoice(principal, checkout, { idempotencyKey: 'checkout-1' })),
    )
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1)
    for (const p of products) assert.equal(await stockOf(ctx.db, location.id, p.id), '998.000000')
  })

  test('a key older than its time to live is free again; within it, it replays', async () => {
    const { location, products, principal } = await shop(ctx.db, 1)
    const service = createSalesService(ctx.db, { idempotencyKeyTtlHours: 24 })
    const input = { locationId: location.id, lines: [{ productId: products[0]!.id, quantity: 1 }] }
    const first = await service.createInvoice(principal, input, { idempotencyKey: 'old-key' })
    await sql`update idempotency_key set created_at = now() - interval '23 hours'`.execute(ctx.db.primary)
    const replay = await service.createInvoice(principal, input, { idempotencyKey: 'old-key' })
    assert.equal(replay.replayed, true)
    assert.equal(replay.body.id, first.body.id)
    await sql`update idempotency_key set created_at = now() - interval '25 hours'`.execute(ctx.db.primary)
    // expired: another body under the same key is a new request, not a 422
    const fresh = await service.createInvoice(principal, { ...input, note: 'next day' }, { idempotencyKey: 'old-key' })
    assert.equal(fresh.replayed, false)
    assert.notEqual(fresh.body.id, first.body.id)
    assert.equal(fresh.body.note, 'next day')
    const again = await service.createInvoice(principal, { ...input, note: 'next day' }, { idempotencyKey: 'old-key' })
    assert.equal(again.replayed, true)
    assert.equal(again.body.id, fresh.body.id)
  })

  test('a failed request leaves its key free for the retry', async () => {
    const { location, products, principal } = await shop(ctx.db, 1, { stock: '1' })
    const invoice = await draft(principal, location.id, [products[0]!.id], '2')
    await rejects(
      sales().submitInvoice(principal, invoice.id, { payments: [{ method: 'card', amount: invoice.total }] }, { idempotencyKey: 'k' }),
      'SALES_INSUFFICIENT_STOCK',
    )
    await addStock(ctx.db, location.id, [{ productId: products[0]!.id, quantity: '1' }])
    const retried = await sales().submitInvoice(
      principal,
      invoice.id,
      { payments: [{ method: 'card', amount: invoice.total }] },
      { idempotencyKey: 'k' },
    )
    assert.equal(retried.replayed, false)
    assert.equal(retried.body.status, 'submitted')
  })
})
