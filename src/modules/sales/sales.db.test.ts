import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { beforeEach, test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase, testDatabaseUrl } from '../../../test/db.ts'
import { countQueries, expectQueries } from '../../../test/expect-queries.ts'
import { addStock, createLocation, createProduct, createProducts, createToken, ledgerSum, stockOf } from '../../../test/factories.ts'
import { connectPostgres } from '../../infra/db/connect.ts'
import type { Db } from '../../infra/db/database.ts'
import { AppError } from '../../infra/errors.ts'
import type { Principal } from '../access/index.ts'
import { createSalesService, type SalesService } from './sales.service.ts'

async function rejects(promise: Promise<unknown>, code: string): Promise<AppError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    return error
  }
  assert.fail(`expected ${code}`)
}

/** A location with `count` products, each with plenty of stock. */
async function shop(db: Db, count: number, options: { price?: string; taxRate?: string; stock?: string } = {}) {
  const location = await createLocation(db)
  const products = await createProducts(db, count, { price: options.price ?? '2.50', taxRate: options.taxRate ?? '10' })
  await addStock(
    db,
    location.id,
    products.map((p) => ({ productId: p.id, quantity: options.stock ?? '1000' })),
  )
  const { principal } = await createToken(db, 'manager')
  return { location, products, principal }
}

describeEachDatabase('sales', (ctx) => {
  // one service (and so one catalog cache) per test, as one server process would have
  let service: SalesService | undefined
  beforeEach(() => {
    service = undefined
  })
  const sales = () => {
    service ??= createSalesService(ctx.db)
    return service
  }

  async function draft(principal: Principal, locationId: number, productIds: number[], quantity = '1') {
    const { body } = await sales().createInvoice(principal, {
      locationId,
      lines: productIds.map((productId) => ({ productId, quantity })),
    })
    return body
  }

  async function submitted(principal: Principal, locationId: number, productIds: number[], quantity = '2') {
    const { body } = await sales().createInvoice(principal, {
      locationId,
      lines: productIds.map((productId) => ({ productId, quantity })),
      payments: [{ method: 'cash', amount: '100000' }],
      submit: true,
    })
    return body
  }

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

  test('submit, cancel and return take a constant number of statements for 5, 51 and 500 lines', async () => {
    const { location, products, principal } = await shop(ctx.db, 500)
    const counts: Record<string, number[]> = {}
    const record = (name: string, count: number) => {
      counts[name] = [...(counts[name] ?? []), count]
    }
    for (const size of [5, 51, 500]) {
      const ids = products.slice(0, size).map((p) => p.id)
      // duplicate products are summed before the stock statement
      const withDuplicate = [...ids, ids[0]!]
      const a = await countQueries(() => draft(principal, location.id, withDuplicate, '2'))
      record('create draft', a.count)
      const edit = await countQueries(() =>
        sales().editInvoice(principal, a.result.id, {
          add: [{ productId: ids[1]!, quantity: 1 }],
          change: [{ lineId: a.result.lines[0]!.id, quantity: 3 }],
          remove: [a.result.lines[2]!.id],
          discountPercent: 5,
        }),
      )
      record('edit draft', edit.count)
      const total = edit.result.body.total
      const pay = await countQueries(() =>
        sales().payInvoice(principal, a.result.id, { payments: [{ method: 'card', amount: '1' }] }),
      )
      record('pay', pay.count)
      const submit = await countQueries(() =>
        sales().submitInvoice(principal, a.result.id, { payments: [{ method: 'cash', amount: total }] }),
      )
      record('submit', submit.count)
      const ret = await countQueries(() =>
        sales().returnItems(principal, a.result.id, {
          lines: submit.result.body.lines.map((l) => ({ lineId: l.id, quantity: '1' })),
        }),
      )
      record('return', ret.count)
      const sale = await countQueries(() => submitted(principal, location.id, ids))
      record('checkout', sale.count)
      const b = sale.result
      const cancel = await countQueries(() => sales().cancelInvoice(principal, b.id))
      record('cancel', cancel.count)
      const checkout = await countQueries(() =>
        sales().createInvoice(
          principal,
          {
            locationId: location.id,
            lines: ids.map((productId) => ({ productId, quantity: 1 })),
            payments: [{ method: 'cash', amount: '100000' }],
            submit: true,
          },
          { idempotencyKey: `checkout-${size}` },
        ),
      )
      record('checkout with key', checkout.count)
      const c = await draft(principal, location.id, ids)
      const keyed = await countQueries(() =>
        sales().submitInvoice(principal, c.id, { payments: [{ method: 'card', amount: c.total }] }, { idempotencyKey: `s-${size}` }),
      )
      record('submit with key', keyed.count)
      const listed = await countQueries(() => sales().listInvoices(principal, { locationId: location.id, limit: 100 }))
      record('list', listed.count)
    }
    // exact counts for 5, 51 and 500 lines; what each statement is, is in the service's comments
    const expected: Record<string, number> = {
      'create draft': 2, // products, then invoice + lines in one statement
      'edit draft': 5, // BEGIN, products, lock, lines + totals, COMMIT
      pay: 4, // BEGIN, lock, payments + totals, COMMIT
      submit: 4, // BEGIN, lock, payments + status + stock + ledger + rollups, COMMIT
      return: 4, // BEGIN, lock, return + lines + stock + ledger + rollups, COMMIT
      cancel: 4,
      checkout: 1, // products cached: the whole sale is one statement
      'checkout with key': 5, // BEGIN, claim, the sale, stored response, COMMIT
      'submit with key': 5, // BEGIN, claim, lock, the submit with its stored response, COMMIT
      list: 1,
    }
    assert.deepEqual(
      Object.fromEntries(Object.entries(counts).map(([name, seen]) => [name, seen])),
      Object.fromEntries(Object.entries(expected).map(([name, n]) => [name, [n, n, n]])),
    )
    // the budget the issue sets, asserted the usual way
    const d = await draft(
      principal,
      location.id,
      products.map((p) => p.id),
    )
    await expectQueries(8, () => sales().submitInvoice(principal, d.id, { payments: [{ method: 'card', amount: d.total }] }))
    await expectQueries(8, () =>
      sales().returnItems(principal, d.id, { lines: d.lines.map((l) => ({ lineId: l.id, quantity: 1 })) }),
    )
  })

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
        { lineIds: [], positions: [0], productId: product.id, sku: product.sku, requested: '1', available: '0' },
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
      lines: [{ lineIds: [], positions: [1], productId: scarce.id, sku: scarce.sku, requested: '3', available: '1' }],
    })
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
        lineIds: [invoice.lines[1]!.id],
        positions: [1],
        productId: products[1]!.id,
        sku: products[1]!.sku,
        requested: '6',
        available: '5',
      },
    ])
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

  test('returns: partial quantities, exact refunds, never more than was sold', async () => {
    const location = await createLocation(ctx.db)
    const product = await createProduct(ctx.db, { price: '0.99', taxRate: '7', units: { box12: '12' } })
    await addStock(ctx.db, location.id, [{ productId: product.id, quantity: '100' }])
    const { principal } = await createToken(ctx.db, 'cashier')
    const { body: invoice } = await sales().createInvoice(principal, {
      locationId: location.id,
      lines: [
        { productId: product.id, quantity: 3 },
        { productId: product.id, unit: 'box12', quantity: 1, discountPercent: 10 },
      ],
      payments: [{ method: 'cash', amount: 20 }],
      submit: true,
    })
    assert.equal(Number(await stockOf(ctx.db, location.id, product.id)), 85)
    const [single, box] = invoice.lines
    // 3 × 0.99 = 2.97, tax 0.21 → 3.18; box: 11.88 − 1.19 = 10.69, tax 0.75 → 11.44
    assert.equal(single!.totalAmount, '3.18')
    assert.equal(box!.totalAmount, '11.44')
    assert.equal(invoice.total, '14.62')
    assert.equal(invoice.changeDue, '5.38')

    const refused = await rejects(
      sales().returnItems(principal, invoice.id, { lines: [{ lineId: single!.id, quantity: 4 }] }),
      'SALES_RETURN_EXCEEDS_SOLD',
    )
    assert.equal(refused.kind, 'invalid')
    const first = await sales().returnItems(principal, invoice.id, { lines: [{ lineId: single!.id, quantity: 1 }] })
    assert.equal(first.body.return.totalAmount, '1.06')
    const second = await sales().returnItems(principal, invoice.id, {
      lines: [
        { lineId: single!.id, quantity: 1 },
        { lineId: single!.id, quantity: 1 },
        { lineId: box!.id, quantity: '0.5' },
      ],
    })
    // the rest of the single line: exactly 3.18 − 1.06 = 2.12
    assert.equal(second.body.return.lines[0]!.totalAmount, '2.12')
    assert.equal(second.body.return.lines[1]!.baseQuantity, '6')
    await rejects(
      sales().returnItems(principal, invoice.id, { lines: [{ lineId: single!.id, quantity: '0.001' }] }),
      'SALES_RETURN_EXCEEDS_SOLD',
    )
    const last = await sales().returnItems(principal, invoice.id, { lines: [{ lineId: box!.id, quantity: '0.5' }] })
    assert.equal(
      [first, second, last].reduce((sum, r) => sum + Math.round(Number(r.body.return.totalAmount) * 100), 0),
      1462,
    )
    assert.equal(last.body.invoice.returnedTotal, '14.62')
    assert.equal(Number(await stockOf(ctx.db, location.id, product.id)), 100)
    assert.equal(Number(await ledgerSum(ctx.db, location.id, product.id)), 100)
    await rejects(sales().cancelInvoice(principal, invoice.id), 'ACCESS_ROLE_FORBIDDEN')
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
        select date_trunc('hour', submitted_at, 'UTC') as bucket, 1 as invoices, 0 as returns, net_total as net,
          tax_total as tax, total
        from sales_invoice where location_id = ${location.id} and status = 'submitted'
        union all
        select date_trunc('hour', created_at, 'UTC'), 0, 1, -net_amount, -tax_amount, -total_amount
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
