import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { expectQueries } from '../../../test/expect-queries.ts'
import { addStock, createLocation, createProducts, createToken } from '../../../test/factories.ts'
import type { Db } from '../../infra/db/database.ts'
import { Big, decimalString, money } from '../../infra/decimal.ts'
import { createSalesService } from '../sales/index.ts'
import { createReportingService } from './reporting.service.ts'
import { deleteRollups, expectedHours, localHourOf, placeSaleAt, soldInvoices } from './reporting.test-support.ts'

const ZONES = ['UTC', 'Europe/Berlin', 'America/St_Johns', 'Asia/Kolkata', 'Asia/Kathmandu']

/** UTC hours in which some zone's day starts or its clock changes. */
const HOURS = [
  '2026-03-07T18:00:00Z', // Asia/Kathmandu's 8 March starts at 18:15, Asia/Kolkata's at 18:30
  '2026-03-08T03:00:00Z', // America/St_Johns's 8 March starts at 03:30
  '2026-03-08T05:00:00Z', // … and its clock jumps from 02:00 to 03:00 at 05:30
  '2026-03-28T23:00:00Z', // Europe/Berlin's 29 March starts
  '2026-03-29T00:00:00Z', // UTC's 29 March starts
  '2026-03-29T01:00:00Z', // Europe/Berlin jumps from 02:00 to 03:00
  '2026-10-25T00:00:00Z', // Europe/Berlin's first 02:00 hour, summer time
  '2026-10-25T01:00:00Z', // … and its second, winter time
  '2026-11-01T04:00:00Z', // America/St_Johns goes back from 02:00 to 01:00 at 04:30
  '2026-11-01T05:00:00Z', // … and its second 01:00 hour ends at 05:30
]

/** A second before and at each quarter hour of those hours: the edges of every zone's local hours. */
const INSTANTS = HOURS.flatMap((hour) =>
  [0, 15, 30, 45].flatMap((minute) => [-1000, 0].map((ms) => new Date(Date.parse(hour) + minute * 60_000 + ms))),
)

async function openShop(db: Db) {
  const location = await createLocation(db)
  const products = await createProducts(db, 3, { price: '1.15', taxRate: '19' })
  await addStock(
    db,
    location.id,
    products.map((p) => ({ productId: p.id, quantity: '100000' })),
  )
  const { principal } = await createToken(db, 'manager')
  return { location, products, principal, sales: createSalesService(db), reporting: createReportingService(db) }
}

type Shop = Awaited<ReturnType<typeof openShop>>

describeEachDatabase('reporting: local hours in any time zone', (ctx) => {
  /** Best sellers of a local day by product, summed in JS from the lines of the invoices of that day. */
  async function expectedTopProducts(locationId: number, date: string, timeZone: string) {
    const { rows } = await sql<{ product_id: number; at: Date; base_quantity: string; total_amount: string }>`
      select l.product_id, i.submitted_at as at, l.base_quantity, l.total_amount
      from sales_invoice_line l join sales_invoice i on i.id = l.invoice_id
      where i.location_id = ${locationId} and i.status = 'submitted'`.execute(ctx.db.primary)
    const byProduct = new Map<number, { quantity: Big; total: Big }>()
    for (const line of rows.filter((r) => localHourOf(r.at, timeZone).date === date)) {
      const sum = byProduct.get(line.product_id) ?? { quantity: new Big(0), total: new Big(0) }
      sum.quantity = sum.quantity.plus(line.base_quantity)
      sum.total = sum.total.plus(line.total_amount)
      byProduct.set(line.product_id, sum)
    }
    return [...byProduct]
      .sort(([a], [b]) => a - b)
      .map(([productId, sum]) => [productId, decimalString(sum.quantity), money(sum.total)])
  }

  /** Every local day of every zone the location sold on: each hour, the day's total and the best sellers. */
  async function checkReports({ location, principal, reporting }: Shop) {
    const invoices = await soldInvoices(ctx.db, location.id)
    let days = 0
    for (const timeZone of ZONES) {
      const dates = [...new Set(invoices.map((i) => localHourOf(i.at, timeZone).date))]
      for (const date of dates) {
        const report = await expectQueries(1, () => reporting.salesByHour(principal, { locationId: location.id, date, timeZone }))
        assert.deepEqual(
          report.hours.map((h) => ({
            hour: h.hour,
            hourUtc: h.hourUtc,
            invoices: h.invoices,
            returns: h.returns,
            netAmount: h.netAmount,
            taxAmount: h.taxAmount,
            totalAmount: h.totalAmount,
          })),
          expectedHours(invoices, [], date, timeZone),
          `${timeZone} ${date}`,
        )
        const ofDay = invoices.filter((i) => localHourOf(i.at, timeZone).date === date)
        const dayTotal = report.hours.reduce((sum, h) => sum.plus(h.totalAmount), new Big(0))
        assert.equal(money(dayTotal), money(ofDay.reduce((sum, i) => sum.plus(i.total), new Big(0))), `${timeZone} ${date}`)
        assert.ok(ofDay.length > 0)

        const top = await reporting.topProducts(principal, { locationId: location.id, from: date, timeZone, limit: 100 })
        assert.deepEqual(
          top.items.map((i) => [i.productId, i.quantity, i.totalAmount]).sort(([a], [b]) => Number(a) - Number(b)),
          await expectedTopProducts(location.id, date, timeZone),
          `top products ${timeZone} ${date}`,
        )
        days++
      }
    }
    return days
  }

  test('each local hour and day sums its invoices: UTC, Berlin, St Johns, Kolkata, Kathmandu, across DST changes', async () => {
    const s = await openShop(ctx.db)
    const ids: number[] = []
    for (const [n] of INSTANTS.entries()) {
      const { body } = await s.sales.createInvoice(s.principal, {
        locationId: s.location.id,
        lines: [{ productId: s.products[n % 3]!.id, quantity: String(n + 1) }],
        payments: [{ method: 'cash', amount: '100000' }],
        submit: true,
      })
      ids.push(body.id)
    }
    // the sales counted themselves now: count each at its instant instead, as a sale then would have
    await deleteRollups(ctx.db, s.location.id)
    for (const [n, id] of ids.entries()) await placeSaleAt(ctx.db, id, INSTANTS[n]!)
    // Kathmandu's 8 March starts at 18:15 UTC: its first hour has the five sales from 18:15 to 18:45
    const kathmandu = { locationId: s.location.id, date: '2026-03-08', timeZone: 'Asia/Kathmandu' }
    const sample = await s.reporting.salesByHour(s.principal, kathmandu)
    assert.equal(sample.hours[0]!.hour, '2026-03-08T00:00:00+05:45')
    assert.equal(sample.hours[0]!.invoices, 5)
    assert.ok((await checkReports(s)) >= 5 * 5)

    // and a sale made now, counted by the sale itself
    const { body: now } = await s.sales.createInvoice(s.principal, {
      locationId: s.location.id,
      lines: [{ productId: s.products[0]!.id, quantity: '0.5' }],
      payments: [{ method: 'cash', amount: 5 }],
      submit: true,
    })
    for (const timeZone of ZONES) {
      const date = localHourOf(new Date(now.submittedAt!), timeZone).date
      const report = await s.reporting.salesByHour(s.principal, { locationId: s.location.id, date, timeZone })
      const hour = report.hours.find((h) => h.hour === localHourOf(new Date(now.submittedAt!), timeZone).hour)
      assert.deepEqual([hour?.invoices, hour?.totalAmount], [1, now.total], timeZone)
    }
    await checkReports(s)
  })
})
