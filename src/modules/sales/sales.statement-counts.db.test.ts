import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries, expectQueries } from '../../../test/expect-queries.ts'
import { shop, useSales } from './sales.test-support.ts'

describeEachDatabase('sales: statements per operation', (ctx) => {
  const { sales, draft, submitted } = useSales(ctx)

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
})
