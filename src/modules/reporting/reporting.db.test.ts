import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import { expectQueries } from '../../../test/expect-queries.ts'
import { createLocation, createProducts, createToken } from '../../../test/factories.ts'
import { Big } from '../../infra/decimal.ts'
import type { SalesChannel } from './reporting.fragments.ts'
import { applySalesRollups } from './reporting.repository.ts'
import { createReportingService } from './reporting.service.ts'

describeEachDatabase('reporting', (ctx) => {
  test('hourly sales sum the shards, follow the time zone and read one statement', async () => {
    const location = await createLocation(ctx.db)
    const [a, b] = await createProducts(ctx.db, 2)
    const { principal } = await createToken(ctx.db, 'manager')
    const sale = (invoiceId: number, at: string, total: string, productId: number, quantity: string) =>
      applySalesRollups(ctx.db.primary, {
        channel: 'pos',
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
    const none = { invoices: 0, returns: 0, netAmount: '0.00', taxAmount: '0.00', totalAmount: '0.00', discountAmount: '0.00' }
    const twoSales = { ...none, invoices: 2, netAmount: '15.50', totalAmount: '15.50' }
    assert.equal(day.channel, null)
    assert.deepEqual(day.hours[0], {
      hour: '2026-03-29T00:00:00+01:00',
      hourUtc: '2026-03-28T23:00:00.000Z',
      ...twoSales,
      byChannel: { pos: twoSales, online: none },
    })
    assert.equal(day.hours.reduce((n, h) => n + h.invoices, 0), 3)
    // the clock jumps from 02:00 to 03:00 and from +01:00 to +02:00
    assert.deepEqual(
      day.hours.slice(1, 3).map((h) => h.hour),
      ['2026-03-29T01:00:00+01:00', '2026-03-29T03:00:00+02:00'],
    )
    assert.equal(day.hours.find((h) => h.invoices === 1)?.hour, '2026-03-29T14:00:00+02:00')
    const utc = await reporting.salesByHour(principal, { locationId: location.id, date: '2026-03-29' })
    assert.equal(utc.hours.length, 24)
    assert.equal(utc.hours[0]!.hour, '2026-03-29T00:00:00+00:00')
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

  test('hourly labels: the 25-hour day names 02:00 twice, half-hour zones get their own clock hours', async () => {
    const location = await createLocation(ctx.db)
    const { principal } = await createToken(ctx.db, 'manager')
    // 02:10 summer time in Berlin, the first of the two 02:00 hours of 2026-10-25
    await applySalesRollups(ctx.db.primary, {
      channel: 'pos',
      locationId: location.id,
      at: new Date('2026-10-25T00:10:00Z'),
      invoiceId: 1,
      invoices: 1,
      returns: 0,
      netAmount: '0.9',
      taxAmount: '0',
      totalAmount: '0.9',
      discountAmount: '0',
      products: [],
    })
    const reporting = createReportingService(ctx.db)
    const autumn = await reporting.salesByHour(principal, { locationId: location.id, date: '2026-10-25', timeZone: 'Europe/Berlin' })
    assert.equal(autumn.hours.length, 25)
    assert.deepEqual(
      autumn.hours.slice(2, 4).map((h) => [h.hour, h.hourUtc, h.invoices, h.totalAmount]),
      [
        ['2026-10-25T02:00:00+02:00', '2026-10-25T00:00:00.000Z', 1, '0.90'],
        ['2026-10-25T02:00:00+01:00', '2026-10-25T01:00:00.000Z', 0, '0.00'],
      ],
    )
    assert.equal(autumn.hours.at(-1)!.hour, '2026-10-25T23:00:00+01:00')
    const india = await reporting.salesByHour(principal, { locationId: location.id, date: '2026-10-25', timeZone: 'Asia/Kolkata' })
    assert.equal(india.hours.length, 24)
    assert.deepEqual(
      [india.hours[0]!.hour, india.hours[0]!.hourUtc, india.hours.at(-1)!.hour],
      ['2026-10-25T00:00:00+05:30', '2026-10-24T18:30:00.000Z', '2026-10-25T23:00:00+05:30'],
    )
    // 00:10 UTC is 05:40 in India
    assert.equal(india.hours.find((h) => h.invoices === 1)?.hour, '2026-10-25T05:00:00+05:30')
    const newfoundland = await reporting.salesByHour(principal, {
      locationId: location.id,
      date: '2026-10-24',
      timeZone: 'America/St_Johns',
    })
    assert.equal(newfoundland.hours.find((h) => h.invoices === 1)?.hour, '2026-10-24T21:00:00-02:30')
  })

  test('by channel: the hourly report splits till and web sales, and both reports give one channel when asked', async () => {
    const location = await createLocation(ctx.db)
    const [a, b] = await createProducts(ctx.db, 2)
    const { principal, authorization } = await createToken(ctx.db, 'manager')
    const sale = (channel: SalesChannel, id: number, at: string, total: string, productId: number, quantity: string) =>
      applySalesRollups(ctx.db.primary, {
        channel,
        locationId: location.id,
        at: new Date(at),
        invoiceId: id,
        invoices: 1,
        returns: 0,
        netAmount: total,
        taxAmount: '0.10',
        totalAmount: new Big(total).plus('0.10').toFixed(),
        discountAmount: channel === 'pos' ? '0.50' : '0',
        products: [{ productId, quantity, netAmount: total, taxAmount: '0.10', totalAmount: new Big(total).plus('0.10').toFixed() }],
      })
    // an order and an invoice with the same id count apart: their channels are different rows of one shard
    await sale('pos', 1, '2026-06-01T09:05:00Z', '4.00', a!.id, '4')
    await sale('online', 1, '2026-06-01T09:50:00Z', '10.00', b!.id, '1')
    await sale('online', 2, '2026-06-01T09:55:00Z', '1.00', a!.id, '1')
    await applySalesRollups(ctx.db.primary, {
      channel: 'online',
      locationId: location.id,
      at: new Date('2026-06-01T09:58:00Z'),
      invoiceId: 1,
      invoices: 0,
      returns: 1,
      netAmount: '-2.00',
      taxAmount: '0',
      totalAmount: '-2.00',
      discountAmount: '0',
      products: [{ productId: b!.id, quantity: '-0.2', netAmount: '-2.00', taxAmount: '0', totalAmount: '-2.00' }],
    })
    const reporting = createReportingService(ctx.db)
    const query = { locationId: location.id, date: '2026-06-01' }
    const nine = (report: Awaited<ReturnType<typeof reporting.salesByHour>>) => report.hours[9]!
    const pos = { invoices: 1, returns: 0, netAmount: '4.00', taxAmount: '0.10', totalAmount: '4.10', discountAmount: '0.50' }
    const online = { invoices: 2, returns: 1, netAmount: '9.00', taxAmount: '0.20', totalAmount: '9.20', discountAmount: '0.00' }
    const none = { invoices: 0, returns: 0, netAmount: '0.00', taxAmount: '0.00', totalAmount: '0.00', discountAmount: '0.00' }
    const both = await expectQueries(1, () => reporting.salesByHour(principal, query))
    assert.deepEqual(nine(both), {
      hour: '2026-06-01T09:00:00+00:00',
      hourUtc: '2026-06-01T09:00:00.000Z',
      invoices: 3,
      returns: 1,
      netAmount: '13.00',
      taxAmount: '0.30',
      totalAmount: '13.30',
      discountAmount: '0.50',
      byChannel: { pos, online },
    })
    const web = await expectQueries(1, () => reporting.salesByHour(principal, { ...query, channel: 'online' }))
    assert.equal(web.channel, 'online')
    assert.deepEqual(nine(web), { ...nine(both), ...online, byChannel: { pos: none, online } })
    const till = await reporting.salesByHour(principal, { ...query, channel: 'pos' })
    assert.deepEqual(nine(till), { ...nine(both), ...pos, byChannel: { pos, online: none } })
    assert.deepEqual(
      both.hours.filter((h) => h.invoices !== 0).map((h) => h.hour),
      ['2026-06-01T09:00:00+00:00'],
    )

    const top = async (channel?: SalesChannel) => {
      const report = await expectQueries(1, () => reporting.topProducts(principal, { locationId: location.id, from: '2026-06-01', channel }))
      assert.equal(report.channel, channel ?? null)
      return report.items.map((i) => [i.productId, i.quantity, i.totalAmount])
    }
    assert.deepEqual(await top(), [
      [b!.id, '0.8', '8.10'],
      [a!.id, '5', '5.20'],
    ])
    assert.deepEqual(await top('pos'), [[a!.id, '4', '4.10']])
    assert.deepEqual(await top('online'), [
      [b!.id, '0.8', '8.10'],
      [a!.id, '1', '1.10'],
    ])

    const app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })
    try {
      const get = (url: string) => app.http.inject({ method: 'GET', url, headers: { authorization } })
      const hourly = await get(`/api/reports/sales/hourly?locationId=${location.id}&date=2026-06-01&channel=pos`)
      assert.equal(hourly.statusCode, 200)
      assert.deepEqual(hourly.json().hours[9], nine(till))
      const refused = await get(`/api/reports/sales/top-products?locationId=${location.id}&from=2026-06-01&channel=web`)
      assert.equal(refused.statusCode, 400)
      assert.match(refused.body, /channel/)
    } finally {
      await app.close()
    }
  })
})
