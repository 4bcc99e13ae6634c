import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase, testDatabaseUrl } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import { addStock, createLocation, createProduct, createToken, ledgerSum, stockOf } from '../../../test/factories.ts'
import { connectPostgres } from '../../infra/db/connect.ts'
import { AppError } from '../../infra/errors.ts'
import { createSalesService } from './sales.service.ts'
import { rejects, shop, useSales } from './sales.test-support.ts'

describeEachDatabase('sales: create invoice and checkout', (ctx) => {
  const { sales } = useSales(ctx)

  test('products sold before skip the catalog lookup; a changed catalog is never sold from the cache', async () => {
    const { location, products, principal } = await shop(ctx.db, 500)
    const service = createSalesService(ctx.db)
    const sell = (ids: number[]) =>
      service.createInvoice(principal, {
        locationId: location.id,
        lines: ids.map((productId) => ({ productId, quantity: 1 })),
        payments: [{ method: 'cash', amount: '100000' }],
        submit: true,
      })
    for (const size of [5, 51, 500]) {
      const ids = products.slice(500 - size).map((p) => p.id)
      assert.equal((await countQueries(() => sell(ids))).count, 2, `first sale of ${size} lines`)
      assert.equal((await countQueries(() => sell(ids))).count, 1, `second sale of ${size} lines`)
    }
    const [first, second] = products.slice(499 - 1)
    await ctx.db.primary.updateTable('product').set({ price: '9.99', name: 'Renamed' }).where('id', '=', first!.id).execute()
    const stale = await countQueries(() => sell([first!.id, second!.id]))
    // the refused sale, the lookup, the sale
    assert.equal(stale.count, 3)
    assert.equal(stale.result.body.lines[0]!.unitPrice, '9.99')
    assert.equal(stale.result.body.lines[0]!.name, 'Renamed')
    const again = await countQueries(() => sell([first!.id]))
    assert.equal(again.count, 1)
    assert.equal(again.result.body.lines[0]!.unitPrice, '9.99')
    await ctx.db.primary.updateTable('product').set({ active: false }).where('id', '=', second!.id).execute()
    await rejects(sell([second!.id]), 'SALES_PRODUCT_INACTIVE')
    await ctx.db.primary.updateTable('product').set({ active: true }).where('id', '=', second!.id).execute()
    assert.equal((await sell([second!.id])).body.status, 'submitted')
    // a refused stale attempt wrote nothing: every invoice has its lines and every line its stock move
    const { rows } = await sql<{ invoices: number; lines: number; moves: number }>`
      select (select count(*) from sales_invoice)::int as invoices, (select count(*) from sales_invoice_line)::int as lines,
        (select count(*) from stock_ledger where reason = 'sale')::int as moves`.execute(ctx.db.primary)
    assert.equal(rows[0]!.lines, rows[0]!.moves)
    assert.equal(rows[0]!.invoices, 9)
  })

  /** Row counts of a location's sales tables and sums of its rollups, as text. */
  async function salesRowsOf(locationId: number) {
    const { rows } = await sql<{
      invoices: number
      submitted: number
      lines: number
      payments: number
      sale_moves: number
      rollup_invoices: string | null
      rollup_total: string | null
      rollup_quantity: string | null
    }>`
      select
        (select count(*) from sales_invoice where location_id = ${locationId})::int as invoices,
        (select count(*) from sales_invoice where location_id = ${locationId} and status = 'submitted')::int as submitted,
        (select count(*) from sales_invoice_line l join sales_invoice i on i.id = l.invoice_id
          where i.location_id = ${locationId})::int as lines,
        (select count(*) from sales_payment p join sales_invoice i on i.id = p.invoice_id
          where i.location_id = ${locationId})::int as payments,
        (select count(*) from stock_ledger where location_id = ${locationId} and reason = 'sale')::int as sale_moves,
        (select sum(invoices)::text from sales_rollup_hour where location_id = ${locationId}) as rollup_invoices,
        (select sum(total_amount)::text from sales_rollup_hour where location_id = ${locationId}) as rollup_total,
        (select sum(quantity)::text from sales_rollup_product_hour where location_id = ${locationId}) as rollup_quantity`.execute(
      ctx.db.primary,
    )
    return rows[0]!
  }

  test('50 concurrent checkouts of 1 unit competing for 10: exactly 10 sales, the rest 409, nothing half-written', async () => {
    const location = await createLocation(ctx.db)
    const product = await createProduct(ctx.db, { price: '3.00' })
    await addStock(ctx.db, location.id, [{ productId: product.id, quantity: '10' }])
    const { principal } = await createToken(ctx.db, 'cashier')
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        sales().createInvoice(principal, {
          locationId: location.id,
          lines: [{ productId: product.id, quantity: 1 }],
          payments: [{ method: 'card', amount: '3.00' }],
          submit: true,
        }),
      ),
    )
    const sold = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.body] : []))
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
    assert.equal(sold.length, 10)
    assert.equal(refused.length, 40)
    for (const invoice of sold) {
      assert.equal(invoice.status, 'submitted')
      assert.equal(invoice.total, '3.00')
    }
    assert.equal(new Set(sold.map((i) => i.id)).size, 10)
    for (const error of refused) {
      assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`)
      assert.equal(error.code, 'SALES_INSUFFICIENT_STOCK', error.message)
      assert.equal(error.kind, 'conflict')
      // the stock the refusal was judged on (the latest row version, not the statement's snapshot)
      const details = error.details as { lines: Record<string, unknown>[] }
      assert.deepEqual(details.lines, [
        { fields: ['/lines/0'], lineIds: [], productId: product.id, sku: product.sku, requested: '1', available: '0' },
      ])
    }
    assert.equal(await stockOf(ctx.db, location.id, product.id), '0.000000')
    // +10 from addStock's adjustment, −1 for each of the 10 sales
    assert.equal(await ledgerSum(ctx.db, location.id, product.id), '0.000000')
    assert.deepEqual(await salesRowsOf(location.id), {
      invoices: 10,
      submitted: 10,
      lines: 10,
      payments: 10,
      sale_moves: 10,
      rollup_invoices: '10',
      rollup_total: '30.00',
      rollup_quantity: '10.000000',
    })
  })

  test('a checkout with one short product of two names only that line and writes nothing', async () => {
    const location = await createLocation(ctx.db)
    const plenty = await createProduct(ctx.db, { price: '2.00' })
    const scarce = await createProduct(ctx.db, { price: '5.00' })
    await addStock(ctx.db, location.id, [
      { productId: plenty.id, quantity: '5' },
      { productId: scarce.id, quantity: '1' },
    ])
    const { principal } = await createToken(ctx.db, 'cashier')
    // the plenty product twice (3 of 5 in all), the scarce one `scarceQuantity` of 1
    const checkout = (scarceQuantity: number) =>
      sales().createInvoice(principal, {
        locationId: location.id,
        lines: [
          { productId: plenty.id, quantity: 2 },
          { productId: scarce.id, quantity: scarceQuantity },
          { productId: plenty.id, quantity: 1 },
        ],
        payments: [{ method: 'cash', amount: '100' }],
        submit: true,
      })
    const error = await rejects(checkout(3), 'SALES_INSUFFICIENT_STOCK')
    assert.equal(error.kind, 'conflict')
    assert.deepEqual(error.details, {
      lines: [{ fields: ['/lines/1'], lineIds: [], productId: scarce.id, sku: scarce.sku, requested: '3', available: '1' }],
    })
    assert.equal(error.message, `Not enough stock for 1 line(s): lines[1] (${scarce.sku}: requested 3, available 1).`)
    assert.equal(await stockOf(ctx.db, location.id, plenty.id), '5.000000')
    assert.equal(await stockOf(ctx.db, location.id, scarce.id), '1.000000')
    assert.equal(await ledgerSum(ctx.db, location.id, plenty.id), '5.000000')
    assert.equal(await ledgerSum(ctx.db, location.id, scarce.id), '1.000000')
    assert.deepEqual(await salesRowsOf(location.id), {
      invoices: 0,
      submitted: 0,
      lines: 0,
      payments: 0,
      sale_moves: 0,
      rollup_invoices: null,
      rollup_total: null,
      rollup_quantity: null,
    })
    // the same sale within the stock goes through, so the refusal above was the shortage alone
    const { body } = await checkout(1)
    assert.equal(body.status, 'submitted')
    assert.equal(await stockOf(ctx.db, location.id, plenty.id), '2.000000')
    assert.equal(await stockOf(ctx.db, location.id, scarce.id), '0.000000')
  })

  test('a checkout\'s statement is prepared once per connection and then only executed', {
    skip: ctx.kind === 'pglite' && 'PGlite sends no named prepared statements',
  }, async () => {
    const location = await createLocation(ctx.db)
    const product = await createProduct(ctx.db, { price: '3.00' })
    await addStock(ctx.db, location.id, [{ productId: product.id, quantity: '10' }])
    const { principal } = await createToken(ctx.db, 'cashier')
    // the suite's database (one per test file); one connection, so every statement shares its session
    const { rows: current } = await sql<{ name: string }>`select current_database() as name`.execute(ctx.db.primary)
    const url = new URL(testDatabaseUrl!)
    url.pathname = `/${current[0]!.name}`
    const single = connectPostgres({ url: url.toString(), poolSize: 1, statementTimeoutMs: 0 })
    try {
      const service = createSalesService(single)
      const checkout = {
        locationId: location.id,
        lines: [{ productId: product.id, quantity: 1 }],
        payments: [{ method: 'card' as const, amount: '3.00' }],
        submit: true,
      }
      const first = await service.createInvoice(principal, checkout)
      const second = await service.createInvoice(principal, checkout)
      assert.equal(first.body.status, 'submitted')
      assert.equal(second.body.status, 'submitted')
      assert.notEqual(first.body.id, second.body.id)
      const { rows } = await sql<{ name: string; statement: string; from_sql: boolean; runs: number }>`
        select name, statement, from_sql, (generic_plans + custom_plans)::int as runs
        from pg_prepared_statements where name like 'brisk\_%' order by name`.execute(single.primary)
      // the sale is the only marked statement of a checkout: prepared by the protocol, then run twice
      assert.equal(rows.length, 1, rows.map((r) => r.statement.slice(0, 120)).join('\n'))
      const [prepared] = rows
      assert.equal(prepared!.from_sql, false)
      assert.ok(prepared!.statement.startsWith('/* prepared */'))
      assert.match(prepared!.statement, /insert into sales_invoice \(/)
      assert.equal(prepared!.name, `brisk_${createHash('sha256').update(prepared!.statement).digest('base64url').slice(0, 24)}`)
      assert.equal(prepared!.runs, 2)
    } finally {
      await single.close()
    }
    assert.equal(await stockOf(ctx.db, location.id, product.id), '8.000000')
  })

  test('totals and change are exact for fractional quantities, units and discounts', async () => {
    const location = await createLocation(ctx.db, { allowNegativeStock: true })
    const cheese = await createProduct(ctx.db, { price: '12.49', taxRate: '7', baseUnit: 'kg', units: { g: '0.001' } })
    const wine = await createProduct(ctx.db, { price: '8.99', taxRate: '19' })
    const { principal } = await createToken(ctx.db, 'manager')
    const { body } = await sales().createInvoice(principal, {
      locationId: location.id,
      lines: [
        { productId: cheese.id, quantity: '0.347' },
        { productId: cheese.id, unit: 'g', quantity: 125 },
        { productId: wine.id, quantity: 3, discountAmount: '1.50' },
        { productId: wine.id, quantity: 1, unitPrice: '7.333' },
      ],
      discountPercent: '3.5',
      payments: [
        { method: 'card', amount: '20' },
        { method: 'cash', amount: '50' },
      ],
      submit: true,
    })
    // gross: 4.33403 → 4.33; 1.56125 → 1.56; 26.97; 7.333 → 7.33
    assert.deepEqual(
      body.lines.map((l) => l.grossAmount),
      ['4.33', '1.56', '26.97', '7.33'],
    )
    // discounted subtotal 4.33 + 1.56 + 25.47 + 7.33 = 38.69; 3.5 % = 1.35415 → 1.35, spread exactly
    assert.equal(body.discountAmount, '1.35')
    const shares = body.lines.map((l) => Number(l.invoiceDiscountAmount) * 100)
    assert.equal(
      shares.reduce((a, b) => a + b, 0),
      135,
    )
    const sum = (pick: (l: (typeof body.lines)[number]) => string) => body.lines.reduce((t, l) => t + Math.round(Number(pick(l)) * 100), 0)
    assert.equal(sum((l) => l.netAmount), Math.round(Number(body.netTotal) * 100))
    assert.equal(sum((l) => l.taxAmount), Math.round(Number(body.taxTotal) * 100))
    assert.equal(sum((l) => l.totalAmount), Math.round(Number(body.total) * 100))
    assert.equal(Math.round(Number(body.netTotal) * 100), 3869 - 135)
    for (const l of body.lines) {
      assert.equal(Number(l.netAmount) + Number(l.taxAmount), Number(l.totalAmount))
    }
    assert.equal(body.lines[3]!.priceOverridden, true)
    assert.equal(body.lines[1]!.baseQuantity, '0.125')
    const total = Math.round(Number(body.total) * 100)
    assert.equal(Math.round(Number(body.changeDue) * 100), 7000 - total)
    assert.equal(Number(await stockOf(ctx.db, location.id, cheese.id)), -0.472)
  })

  test('a cashier may not override a price; a manager may', async () => {
    const { location, products } = await shop(ctx.db, 1)
    const cashier = await createToken(ctx.db, 'cashier')
    const line = { productId: products[0]!.id, quantity: 1 }
    await rejects(
      sales().createInvoice(cashier.principal, { locationId: location.id, lines: [{ ...line, unitPrice: '1.00' }] }),
      'SALES_PRICE_OVERRIDE_FORBIDDEN',
    )
    // echoing the catalog price is not an override
    const ok = await sales().createInvoice(cashier.principal, { locationId: location.id, lines: [{ ...line, unitPrice: '2.5' }] })
    assert.equal(ok.body.lines[0]!.priceOverridden, false)
    await rejects(
      sales().editInvoice(cashier.principal, ok.body.id, { change: [{ lineId: ok.body.lines[0]!.id, unitPrice: 2 }] }),
      'SALES_PRICE_OVERRIDE_FORBIDDEN',
    )
  })
})
