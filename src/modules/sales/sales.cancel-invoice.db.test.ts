import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { createToken, ledgerSum, stockOf } from '../../../test/factories.ts'
import { rejects, shop, useSales } from './sales.test-support.ts'

describeEachDatabase('sales: cancel', (ctx) => {
  const { sales, draft, submitted } = useSales(ctx)

  async function rollupTotals(locationId: number) {
    const { rows } = await sql<{ invoices: string | null; total: string | null; quantity: string | null }>`
      select (select sum(invoices)::text from sales_rollup_hour where location_id = ${locationId}) as invoices,
        (select sum(total_amount)::text from sales_rollup_hour where location_id = ${locationId}) as total,
        (select sum(quantity)::text from sales_rollup_product_hour where location_id = ${locationId}) as quantity`.execute(
      ctx.db.primary,
    )
    return rows[0]!
  }

  test('a cancelled sale gives its stock back and leaves the rollups; a cancelled draft moves nothing', async () => {
    const { location, products, principal } = await shop(ctx.db, 2)
    const ids = products.map((p) => p.id)
    const kept = await submitted(principal, location.id, ids)
    const sale = await submitted(principal, location.id, ids, '3')
    const open = await draft(principal, location.id, ids)
    const cancelled = await sales().cancelInvoice(principal, sale.id)
    assert.equal(cancelled.body.status, 'cancelled')
    assert.ok(cancelled.body.cancelledAt)
    assert.deepEqual(await sales().getInvoice(principal, sale.id), cancelled.body)
    const draftCancelled = await sales().cancelInvoice(principal, open.id)
    assert.equal(draftCancelled.body.status, 'cancelled')
    for (const id of ids) {
      assert.equal(await stockOf(ctx.db, location.id, id), '998.000000')
      assert.equal(await ledgerSum(ctx.db, location.id, id), '998.000000')
    }
    // only the kept sale counts: 2 products × 2 × 2.50 + 10 % = 11.00
    assert.equal(kept.total, '11.00')
    assert.deepEqual(await rollupTotals(location.id), { invoices: '1', total: '11.00', quantity: '4.000000' })
    await rejects(sales().cancelInvoice(principal, sale.id), 'SALES_INVOICE_NOT_CANCELLABLE')
  })

  test('a cashier may not cancel a sale, and a sale with returns is not cancelled', async () => {
    const { location, products, principal } = await shop(ctx.db, 1)
    const sale = await submitted(principal, location.id, [products[0]!.id])
    const cashier = await createToken(ctx.db, 'cashier')
    await rejects(sales().cancelInvoice(cashier.principal, sale.id), 'ACCESS_ROLE_FORBIDDEN')
    await sales().returnItems(principal, sale.id, { lines: [{ lineId: sale.lines[0]!.id, quantity: 1 }] })
    await rejects(sales().cancelInvoice(principal, sale.id), 'SALES_INVOICE_HAS_RETURNS')
    assert.equal((await sales().getInvoice(principal, sale.id)).status, 'submitted')
    assert.equal(await stockOf(ctx.db, location.id, products[0]!.id), '999.000000')
  })
})
