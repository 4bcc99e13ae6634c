import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { expectQueries } from '../../../test/expect-queries.ts'
import { createLocation, createToken } from '../../../test/factories.ts'
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
