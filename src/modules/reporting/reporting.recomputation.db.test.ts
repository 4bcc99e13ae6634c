import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { addStock, createLocation, createProducts, createToken } from '../../../test/factories.ts'
import type { Db } from '../../infra/db/database.ts'
import { Big } from '../../infra/decimal.ts'
import { createSalesService } from '../sales/index.ts'
import { applySalesRollups } from './reporting.repository.ts'
import { recomputedRollups, storedRollups } from './reporting.test-support.ts'

interface HandLine {
  productId: number
  quantity: string
  net: string
  tax: string
}

const total = (line: HandLine) => new Big(line.net).plus(line.tax).toFixed()
const sumOf = (lines: HandLine[], pick: (l: HandLine) => string) =>
  lines.reduce((sum, l) => sum.plus(pick(l)), new Big(0)).toFixed()

/**
 * Stands in for the orders module until orders can be placed: an order's rows, and what placing
 * (sign 1) or cancelling (sign -1) it does to the rollups by the rules every writer follows.
 */
async function orderByHand(db: Db, locationId: number, at: Date, lines: HandLine[], shipping = '0') {
  const subtotal = sumOf(lines, (l) => l.net)
  const tax = sumOf(lines, (l) => l.tax)
  const order = await db.primary
    .insertInto('online_order')
    .values({
      email: 'shopper@example.com',
      status: 'placed',
      location_id: locationId,
      shipping_address: JSON.stringify({ line1: 'Hauptstr. 1', city: 'Berlin' }),
      shipping_country: 'DE',
      subtotal,
      tax_total: tax,
      shipping_total: shipping,
      total: new Big(subtotal).plus(tax).plus(shipping).toFixed(),
      line_count: lines.length,
      payment_provider: 'test',
      created_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const { rows: orderLines } = await sql<{ id: number }>`
    insert into online_order_line (order_id, position, product_id, sku, name, unit, quantity, factor, base_quantity,
      unit_price, tax_rate, net_amount, tax_amount, total_amount)
    select ${order.id}, t.position, t.product_id, 'SKU', 'Product', 'each', t.quantity, 1, t.quantity, 1, 0, t.net, t.tax,
      t.net + t.tax
    from unnest(${lines.map((_, i) => i + 1)}::bigint[], ${lines.map((l) => l.productId)}::bigint[],
      ${lines.map((l) => l.quantity)}::numeric[], ${lines.map((l) => l.net)}::numeric[], ${lines.map((l) => l.tax)}::numeric[])
      as t(position, product_id, quantity, net, tax)
    order by t.position
    returning id`.execute(db.primary)
  const count = async (sign: 1 | -1) => {
    const signed = (value: string) => new Big(value).times(sign).toFixed()
    await applySalesRollups(db.primary, {
      channel: 'online',
      locationId,
      at,
      invoiceId: order.id,
      invoices: sign,
      returns: 0,
      netAmount: signed(subtotal),
      taxAmount: signed(tax),
      totalAmount: signed(new Big(subtotal).plus(tax).toFixed()),
      discountAmount: '0',
      products: lines.map((l) => ({
        productId: l.productId,
        quantity: signed(l.quantity),
        netAmount: signed(l.net),
        taxAmount: signed(l.tax),
        totalAmount: signed(total(l)),
      })),
    })
  }
  await count(1)
  return {
    id: order.id,
    cancel: async () => {
      await sql`update online_order set status = 'cancelled', cancelled_at = now() where id = ${order.id}`.execute(db.primary)
      await count(-1)
    },
    /** Takes `returned` (line index → part of the line) back at `returnedTo` at `when`. */
    returnLines: async (returnedTo: number, when: Date, returned: { line: number; quantity: string; net: string; tax: string }[]) => {
      const back = returned.map((r) => ({ ...r, productId: lines[r.line]!.productId }))
      const { id } = await db.primary
        .insertInto('online_order_return')
        .values({
          order_id: order.id,
          location_id: returnedTo,
          net_amount: sumOf(back, (l) => l.net),
          tax_amount: sumOf(back, (l) => l.tax),
          total_amount: sumOf(back, total),
          created_at: when,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      for (const r of back) {
        await db.primary
          .insertInto('online_order_return_line')
          .values({
            return_id: id,
            order_line_id: orderLines[r.line]!.id,
            product_id: r.productId,
            quantity: r.quantity,
            base_quantity: r.quantity,
            net_amount: r.net,
            tax_amount: r.tax,
            total_amount: total(r),
          })
          .execute()
      }
      const negative = (value: string) => new Big(value).neg().toFixed()
      await applySalesRollups(db.primary, {
        channel: 'online',
        locationId: returnedTo,
        at: when,
        invoiceId: order.id,
        invoices: 0,
        returns: 1,
        netAmount: negative(sumOf(back, (l) => l.net)),
        taxAmount: negative(sumOf(back, (l) => l.tax)),
        totalAmount: negative(sumOf(back, total)),
        discountAmount: '0',
        products: back.map((r) => ({
          productId: r.productId,
          quantity: negative(r.quantity),
          netAmount: negative(r.net),
          taxAmount: negative(r.tax),
          totalAmount: negative(total(r)),
        })),
      })
    },
  }
}

describeEachDatabase('reporting: rollups recomputed from what was sold', (ctx) => {
  test('recomputedRollups matches the rollups of till sales, cancels and returns and of orders, by channel', async () => {
    const location = await createLocation(ctx.db)
    const elsewhere = await createLocation(ctx.db)
    const products = await createProducts(ctx.db, 3, { price: '2.35', taxRate: '7' })
    await addStock(
      ctx.db,
      location.id,
      products.map((p) => ({ productId: p.id, quantity: '1000' })),
    )
    const { principal } = await createToken(ctx.db, 'manager')
    const sales = createSalesService(ctx.db)
    const invoices = []
    for (let n = 0; n < 5; n++) {
      const { body } = await sales.createInvoice(principal, {
        locationId: location.id,
        lines: [
          { productId: products[n % 3]!.id, quantity: `${n + 1}.5`, discountPercent: n },
          { productId: products[(n + 1) % 3]!.id, quantity: 1 },
        ],
        ...(n % 2 ? { discountAmount: '0.07' } : {}),
        payments: [{ method: 'cash', amount: 100 }],
        submit: true,
      })
      invoices.push(body)
    }
    await sales.cancelInvoice(principal, invoices[1]!.id)
    await sales.returnItems(principal, invoices[2]!.id, {
      lines: invoices[2]!.lines.map((l) => ({ lineId: l.id, quantity: '0.5' })),
    })
    const pos = await recomputedRollups(ctx.db.primary, location.id)
    assert.deepEqual(await storedRollups(ctx.db.primary, location.id), pos)
    assert.ok(pos.shards.length >= 3 && pos.shards.every((r) => r.channel === 'pos'))
    assert.equal(
      pos.shards.reduce((n, r) => n + r.invoices, 0),
      4,
    )

    const [a, b, c] = products.map((p) => p.id)
    const at = (time: string) => new Date(`2026-05-02T${time}Z`)
    // shipping is no sale: the rollups hold the goods alone
    const kept = await orderByHand(
      ctx.db,
      location.id,
      at('10:05:00'),
      [
        { productId: a!, quantity: '2', net: '4.70', tax: '0.33' },
        { productId: b!, quantity: '1.5', net: '3.53', tax: '0.25' },
      ],
      '4.90',
    )
    const cancelled = await orderByHand(ctx.db, location.id, at('10:20:00'), [{ productId: c!, quantity: '1', net: '2.35', tax: '0.16' }])
    await cancelled.cancel()
    const late = await orderByHand(ctx.db, location.id, at('23:59:59'), [{ productId: a!, quantity: '3', net: '7.05', tax: '0.49' }])
    // goods come back the next day, to the other location, in the order's shard
    await kept.returnLines(elsewhere.id, new Date('2026-05-03T08:00:00Z'), [
      { line: 1, quantity: '0.5', net: '1.18', tax: '0.08' },
    ])

    const both = await recomputedRollups(ctx.db.primary, location.id)
    assert.deepEqual(await storedRollups(ctx.db.primary, location.id), both)
    assert.deepEqual(
      both.shards.filter((r) => r.channel === 'pos'),
      pos.shards,
    )
    assert.deepEqual(
      both.shards.filter((r) => r.channel === 'online').map((r) => [r.bucket, r.shard, r.invoices, r.net, r.total]),
      [
        ['2026-05-02T10:00:00.000Z', kept.id % 16, 1, '8.23', '8.81'],
        ['2026-05-02T23:45:00.000Z', late.id % 16, 1, '7.05', '7.54'],
      ],
      'the cancelled order counts nothing, shipping is left out',
    )
    const returned = await recomputedRollups(ctx.db.primary, elsewhere.id)
    assert.deepEqual(await storedRollups(ctx.db.primary, elsewhere.id), returned)
    assert.deepEqual(returned, {
      shards: [
        {
          bucket: '2026-05-03T08:00:00.000Z',
          channel: 'online',
          shard: kept.id % 16,
          invoices: 0,
          returns: 1,
          net: '-1.18',
          tax: '-0.08',
          total: '-1.26',
          discount: '0',
        },
      ],
      products: [
        { bucket: '2026-05-03T08:00:00.000Z', channel: 'online', productId: b!, quantity: '-0.5', net: '-1.18', tax: '-0.08', total: '-1.26' },
      ],
    })

    // a stray change shows
    await sql`update sales_rollup_product_hour set quantity = quantity + 1
      where location_id = ${location.id} and channel = 'online' and product_id = ${a}`.execute(ctx.db.primary)
    assert.notDeepEqual(await storedRollups(ctx.db.primary, location.id), await recomputedRollups(ctx.db.primary, location.id))
  })
})
