import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { expectQueries } from '../../../test/expect-queries.ts'
import { addStock, createLocation, createToken } from '../../../test/factories.ts'
import { rejects, shop, useSales } from './sales.test-support.ts'

describeEachDatabase('sales: reading invoices', (ctx) => {
  const { sales, draft, submitted } = useSales(ctx)

  test('listing pages through invoices with their lines in one statement', async () => {
    const { location, products, principal } = await shop(ctx.db, 3)
    const other = await createLocation(ctx.db)
    for (let i = 0; i < 7; i++) await submitted(principal, location.id, [products[i % 3]!.id])
    await draft(principal, location.id, [products[0]!.id])
    await draft(principal, other.id, [products[0]!.id])
    const page = await expectQueries(1, () =>
      sales().listInvoices(principal, { locationId: location.id, status: 'submitted', limit: 5 }),
    )
    assert.equal(page.items.length, 5)
    assert.ok(page.items.every((i) => i.lines.length === 1 && i.payments.length === 1))
    const rest = await sales().listInvoices(principal, {
      locationId: location.id,
      status: 'submitted',
      limit: 5,
      after: page.nextAfter!,
    })
    assert.equal(rest.items.length, 2)
    assert.equal(rest.nextAfter, null)
    const today = await sales().listInvoices(principal, { locationId: location.id, from: new Date(Date.now() - 60_000).toISOString() })
    assert.equal(today.items.length, 8)
    const cashier = await createToken(ctx.db, 'cashier', [other.code])
    const mine = await sales().listInvoices(cashier.principal, {})
    assert.equal(mine.items.length, 1)
    await rejects(sales().listInvoices(cashier.principal, { locationId: location.id }), 'ACCESS_LOCATION_FORBIDDEN')
    await rejects(sales().getInvoice(cashier.principal, page.items[0]!.id), 'ACCESS_LOCATION_FORBIDDEN')
  })
})

describeEachDatabase('sales: reading returns', (ctx) => {
  const { sales, submitted } = useSales(ctx)

  test('an invoice is read with its returns in one statement; returns list by location and time, in scope', async () => {
    const { location, products, principal } = await shop(ctx.db, 2)
    const other = await createLocation(ctx.db)
    await addStock(ctx.db, other.id, [{ productId: products[0]!.id, quantity: '5' }])
    const invoice = await submitted(principal, location.id, [products[0]!.id, products[1]!.id], '3')
    const [a, b] = invoice.lines
    const first = await sales().returnItems(principal, invoice.id, { lines: [{ lineId: a!.id, quantity: 1 }], reason: 'damaged' })
    const second = await sales().returnItems(
      principal,
      invoice.id,
      { lines: [{ lineId: b!.id, quantity: '0.5' }, { lineId: a!.id, quantity: 1 }], refundMethod: 'card' },
      { idempotencyKey: 'second-return' },
    )
    const elsewhere = await submitted(principal, other.id, [products[0]!.id])
    const third = await sales().returnItems(principal, elsewhere.id, { lines: [{ lineId: elsewhere.lines[0]!.id, quantity: 1 }] })

    const read = await expectQueries(1, () => sales().getInvoice(principal, invoice.id))
    assert.deepEqual(read.returns, [first.body.return, second.body.return])
    assert.deepEqual(read, second.body.invoice)
    assert.deepEqual(
      read.returns.map((r) => [r.reason, r.refundMethod, r.lines.map((l) => [l.lineId, l.quantity])]),
      [
        ['damaged', 'cash', [[a!.id, '1']]],
        [
          null,
          'card',
          [
            [a!.id, '1'],
            [b!.id, '0.5'],
          ],
        ],
      ],
    )
    // the id a return answers with is the one stored, also in the response a retry replays
    const replayed = await sales().returnItems(
      principal,
      invoice.id,
      { lines: [{ lineId: b!.id, quantity: '0.5' }, { lineId: a!.id, quantity: 1 }], refundMethod: 'card' },
      { idempotencyKey: 'second-return' },
    )
    assert.equal(replayed.replayed, true)
    assert.deepEqual(replayed.body, second.body)
    const listed = await expectQueries(1, () => sales().listInvoices(principal, { locationId: location.id }))
    assert.deepEqual(listed.items[0]!.returns, read.returns)

    const all = await expectQueries(1, () => sales().listReturns(principal, { limit: 2 }))
    assert.deepEqual(all.items, [first.body.return, second.body.return])
    assert.equal(all.nextAfter, second.body.return.id)
    const next = await sales().listReturns(principal, { limit: 2, after: all.nextAfter! })
    assert.deepEqual([next.items, next.nextAfter], [[third.body.return], null])
    assert.deepEqual((await sales().listReturns(principal, { locationId: other.id })).items, [third.body.return])
    const since = await sales().listReturns(principal, { from: third.body.return.createdAt })
    assert.deepEqual(
      since.items.map((r) => r.id),
      [third.body.return.id],
    )
    assert.deepEqual((await sales().listReturns(principal, { to: first.body.return.createdAt })).items, [])
    await rejects(sales().listReturns(principal, { from: 'yesterday' }), 'SALES_INVALID_DATE')

    const cashier = await createToken(ctx.db, 'cashier', [other.code])
    assert.deepEqual((await sales().listReturns(cashier.principal, {})).items, [third.body.return])
    await rejects(sales().listReturns(cashier.principal, { locationId: location.id }), 'ACCESS_LOCATION_FORBIDDEN')
  })
})
