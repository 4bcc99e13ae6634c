import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { rollupBucketOf } from '../reporting/index.ts'
import { shop, useSales } from './sales.test-support.ts'

describeEachDatabase('sales: rollups', (ctx) => {
  const { sales } = useSales(ctx)

  test('rollups equal a recomputation from the invoices and returns', async () => {
    const { location, products, principal } = await shop(ctx.db, 6, { price: '1.15', taxRate: '19' })
    const ids = products.map((p) => p.id)
    const invoices = []
    for (let i = 0; i < 12; i++) {
      const { body } = await sales().createInvoice(principal, {
        locationId: location.id,
        lines: ids.slice(i % 3, 3 + (i % 4)).map((productId, j) => ({ productId, quantity: `${j + 1}.5`, discountPercent: j })),
        discountAmount: i % 2 ? '0.07' : undefined,
        payments: [{ method: 'cash', amount: 100 }],
        submit: true,
      })
      invoices.push(body)
    }
    await sales().cancelInvoice(principal, invoices[0]!.id)
    await sales().cancelInvoice(principal, invoices[5]!.id)
    await sales().returnItems(principal, invoices[3]!.id, {
      lines: invoices[3]!.lines.map((l) => ({ lineId: l.id, quantity: '0.5' })),
    })
    await sales().returnItems(principal, invoices[4]!.id, { lines: [{ lineId: invoices[4]!.lines[0]!.id, quantity: 1 }] })

    const { rows: hours } = await sql<{ bucket: Date; invoices: string; returns: string; net: string; tax: string; total: string }>`
      select bucket, sum(invoices)::text as invoices, sum(returns)::text as returns, sum(net_amount)::text as net,
        sum(tax_amount)::text as tax, sum(total_amount)::text as total
      from sales_rollup_hour where location_id = ${location.id} group by bucket order by bucket`.execute(ctx.db.primary)
    const { rows: expected } = await sql<{ bucket: Date; invoices: string; returns: string; net: string; tax: string; total: string }>`
      with events as (
        select ${rollupBucketOf(sql`submitted_at`)} as bucket, 1 as invoices, 0 as returns, net_total as net,
          tax_total as tax, total
        from sales_invoice where location_id = ${location.id} and status = 'submitted'
        union all
        select ${rollupBucketOf(sql`created_at`)}, 0, 1, -net_amount, -tax_amount, -total_amount
        from sales_return where location_id = ${location.id}
      )
      select bucket, sum(invoices)::text as invoices, sum(returns)::text as returns, sum(net)::text as net,
        sum(tax)::text as tax, sum(total)::text as total
      from events group by bucket order by bucket`.execute(ctx.db.primary)
    assert.deepEqual(hours, expected)
    assert.equal(expected[0]!.invoices, '10')
    assert.equal(expected[0]!.returns, '2')

    const { rows: byProduct } = await sql<{ product_id: number; quantity: string; net: string; total: string }>`
      select product_id, sum(quantity)::text as quantity, sum(net_amount)::text as net, sum(total_amount)::text as total
      from sales_rollup_product_hour where location_id = ${location.id} group by product_id order by product_id`.execute(
      ctx.db.primary,
    )
    const { rows: productExpected } = await sql<{ product_id: number; quantity: string; net: string; total: string }>`
      with events as (
        select l.product_id, l.base_quantity as quantity, l.net_amount as net, l.total_amount as total
        from sales_invoice_line l join sales_invoice i on i.id = l.invoice_id
        where i.location_id = ${location.id} and i.status = 'submitted'
        union all
        select rl.product_id, -rl.base_quantity, -rl.net_amount, -rl.total_amount
        from sales_return_line rl join sales_return r on r.id = rl.return_id where r.location_id = ${location.id}
      )
      select product_id, sum(quantity)::text as quantity, sum(net)::text as net, sum(total)::text as total
      from events group by product_id order by product_id`.execute(ctx.db.primary)
    assert.deepEqual(byProduct, productExpected)
  })
})
