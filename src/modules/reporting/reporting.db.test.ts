import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { expectQueries } from '../../../test/expect-queries.ts'
import { createLocation, createProducts, createToken } from '../../../test/factories.ts'
import { applySalesRollups } from './reporting.repository.ts'
import { createReportingService } from './reporting.service.ts'

describeEachDatabase('reporting', (ctx) => {
  test('hourly sales sum the shards, follow the time zone and read one statement', async () => {
    const location = await createLocation(ctx.db)
    const [a, b] = await createProducts(ctx.db, 2)
    const { principal } = await createToken(ctx.db, 'manager')
    const sale = (invoiceId: number, at: string, total: string, productId: number, quantity: string) =>
      applySalesRollups(ctx.db.primary, {
        locationId: location.id,
        at: new Date(at),
        invoiceId,
        invoices: 1,
        returns: 0,
        netAmount: total,
        taxAmount: '0',
        totalAmount: total,
        discountAmount: '0',
        products: [{ productId, quantity, netAmount: total, taxAmount: '0', totalAmount: total }],
      })
    // 2026-03-29 is 23 hours long in Berlin; 00:30 Berlin is 23:30 UTC the day before
    await sale(1, '2026-03-28T23:30:00Z', '10.00', a!.id, '1')
    await sale(2, '2026-03-28T23:45:00Z', '5.50', b!.id, '3')
    await sale(3, '2026-03-29T12:10:00Z', '1.25', a!.id, '0.5')
    const reporting = createReportingService(ctx.db)
    const day = await expectQueries(1, () =>
      reporting.salesByHour(principal, { locationId: location.id, date: '2026-03-29', timeZone: 'Europe/Berlin' }),
    )
    assert.equal(day.hours.length, 23)
    assert.deepEqual(day.hours[0], {
      hour: '2026-03-28T23:00:00.000Z',
      invoices: 2,
      returns: 0,
      netAmount: '15.50',
      taxAmount: '0.00',
      totalAmount: '15.50',
      discountAmount: '0.00',
    })
    assert.equal(day.hours.reduce((n, h) => n + h.invoices, 0), 3)
    const utc = await reporting.salesByHour(principal, { locationId: location.id, date: '2026-03-29' })
    assert.equal(utc.hours.length, 24)
    assert.equal(utc.hours.reduce((n, h) => n + h.invoices, 0), 1)

    const top = await reporting.topProducts(principal, {
      locationId: location.id,
      from: '2026-03-29',
      timeZone: 'Europe/Berlin',
      by: 'quantity',
    })
    assert.deepEqual(
      top.items.map((i) => [i.productId, i.quantity, i.totalAmount]),
      [
        [b!.id, '3', '5.50'],
        [a!.id, '1.5', '11.25'],
      ],
    )
  })
})
