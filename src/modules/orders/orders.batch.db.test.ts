import assert from 'node:assert/strict'
import { after, before, beforeEach, test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries, expectQueries, statementsOf } from '../../../test/expect-queries.ts'
import { addStock, createLocation, createProduct, createToken, ledgerSum, stockOf } from '../../../test/factories.ts'
import type { BriskApp } from '../../app.ts'
import type { Db } from '../../infra/db/database.ts'
import type { Principal } from '../access/index.ts'
import { createOrderBatches } from './orders.batch.ts'
import type { ImportOrderInput } from './orders.imports.ts'
import { ADDRESS, onlineShop, openApp, storeSender } from './orders.test-support.ts'

let ref = 0
/** `count` marketplace orders of `quantity` of each SKU, each with a new external reference. */
function marketplaceOrders(count: number, lines: { sku: string; quantity?: string; unitPrice?: string }[], paid = false): ImportOrderInput[] {
  return Array.from({ length: count }, () => ({
    externalRef: `EXT-${++ref}`,
    email: 'buyer@example.com',
    shippingAddress: ADDRESS,
    lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity ?? '1', ...(l.unitPrice ? { unitPrice: l.unitPrice } : {}) })),
    paid,
  }))
}

/** The online rollups of a location as stored, and as its orders say they must be: per (bucket, shard) and per product. */
async function onlineRollups(db: Db, locationId: number) {
  const { rows } = await sql<{ stored_shards: unknown[]; stored_products: unknown[]; shards: unknown[]; products: unknown[] }>`
    select
      (select json_agg(json_build_object('bucket', bucket, 'shard', shard, 'invoices', invoices, 'net', net_amount::numeric(12, 2)::text,
          'tax', tax_amount::numeric(12, 2)::text, 'total', total_amount::numeric(12, 2)::text) order by bucket, shard)
        from sales_rollup_hour where location_id = ${locationId} and channel = 'online') as stored_shards,
      (select json_agg(json_build_object('product', product_id, 'quantity', quantity::numeric(20, 6)::text,
          'net', net_amount::numeric(12, 2)::text) order by product_id)
        from sales_rollup_product_hour where location_id = ${locationId} and channel = 'online') as stored_products,
      (select json_agg(s order by s.bucket, s.shard) from (
          select date_bin('15 minutes', created_at, timestamptz '1970-01-01 00:00:00+00') as bucket, id % 16 as shard, count(*) as invoices,
            sum(subtotal)::numeric(12, 2)::text as net, sum(tax_total)::numeric(12, 2)::text as tax,
            sum(subtotal + tax_total)::numeric(12, 2)::text as total
          from online_order where location_id = ${locationId} group by 1, 2) s) as shards,
      (select json_agg(p order by p.product) from (
          select l.product_id as product, sum(l.base_quantity)::numeric(20, 6)::text as quantity, sum(l.net_amount)::numeric(12, 2)::text as net
          from online_order o join online_order_line l on l.order_id = o.id where o.location_id = ${locationId} group by 1) p) as products
  `.execute(db.primary)
  const row = rows[0]!
  return { stored: [row.stored_shards, row.stored_products], expected: [row.shards, row.products] }
}

async function ordersOf(db: Db, ids: number[]) {
  const { rows } = await sql<{ id: number; status: string; total: string; paid_total: string; tracking_reference: string | null; events: string[] }>`
    select o.id, o.status, o.total::text, o.paid_total::text, o.tracking_reference,
      (select array_agg(e.kind order by e.id) from online_order_event e where e.order_id = o.id) as events
    from online_order o where o.id = any(${ids}::bigint[]) order by o.id`.execute(db.primary)
  return rows
}

describeEachDatabase('orders: batches', (ctx) => {
  let app: BriskApp
  let admin: { token: string; principal: Principal }
  before(async () => {
    app = await openApp(ctx.db)
  })
  beforeEach(async () => {
    admin = await createToken(ctx.db, 'admin')
  })
  after(async () => {
    await app?.close()
  })
  const send = storeSender(() => app)

  /** Placed (unpaid) orders at a new shop, imported in one batch. */
  async function placedOrders(count: number, options: { stock?: string } = {}) {
    const shop = await onlineShop(ctx.db, { stock: options.stock ?? '100000' })
    const batches = createOrderBatches(ctx.db)
    const { results } = await batches.importOrders(admin.principal, {
      source: 'marketplace:shop',
      locationId: shop.location.id,
      orders: marketplaceOrders(count, [{ sku: shop.products[0]!.sku }]),
    })
    assert.ok(results.every((r) => r.orderId !== null), JSON.stringify(results.find((r) => r.error)))
    return { ...shop, ids: results.map((r) => r.orderId!) }
  }

  test("seed 003's case: 10 orders marked paid in 3 statements, the batch log included", async () => {
    const { ids } = await placedOrders(10)
    await send('GET', '/api/batches?limit=1', { staff: admin.token }) // the token is cached from here
    const response = await send('POST', '/api/orders/batch/mark-paid', { staff: admin.token }, { orderIds: ids })
    assert.equal(response.statusCode, 200, response.body)
    assert.ok(statementsOf(response) <= 3, `${statementsOf(response)} statements`)
    const { batch, results } = response.json()
    assert.equal(batch.status, 'succeeded')
    assert.equal(batch.operation, 'orders.mark-paid')
    assert.deepEqual([batch.rowsTotal, batch.rowsSucceeded, batch.rowsFailed, batch.statements], [10, 10, 0, 3])
    assert.ok(results.every((r: { status: string }) => r.status === 'paid'))
    for (const order of await ordersOf(ctx.db, ids)) {
      assert.equal(order.status, 'paid')
      assert.equal(order.paid_total, order.total)
      assert.deepEqual(order.events, ['imported', 'paid'])
    }
    const again = await placedOrders(10)
    await expectQueries(3, () => createOrderBatches(ctx.db).markOrdersPaid(admin.principal, { orderIds: again.ids }))
  })

  test('statements stay constant in the number of orders: ⌈N / chunk⌉ per chunk statement, + 2 for the log', async () => {
    const { ids, location, products } = await placedOrders(1000)
    const small = await placedOrders(10)
    const byDefault = createOrderBatches(ctx.db)
    const ten = await countQueries(() => byDefault.markOrdersPaid(admin.principal, { orderIds: small.ids }))
    const thousand = await countQueries(() => byDefault.markOrdersPaid(admin.principal, { orderIds: ids.slice(0, 1000) }))
    assert.equal(ten.count, 3)
    assert.equal(thousand.count, 3)
    assert.equal(thousand.result.batch.rowsSucceeded, 1000)

    const chunked = createOrderBatches(ctx.db, { chunkSize: 300 })
    const fulfilled = await countQueries(() =>
      chunked.fulfilOrders(admin.principal, { locationId: location.id, orders: ids.map((orderId) => ({ orderId, trackingReference: `T-${orderId}` })) }),
    )
    assert.equal(fulfilled.count, Math.ceil(1000 / 300) + 2)
    assert.equal(fulfilled.result.batch.statements, fulfilled.count, 'the log counts what the batch sent')
    assert.equal(fulfilled.result.batch.rowsSucceeded, 1000)

    const imported = await countQueries(() =>
      chunked.importOrders(admin.principal, { source: 'marketplace:big', locationId: location.id, orders: marketplaceOrders(1000, [{ sku: products[1]!.sku }]) }),
    )
    assert.equal(imported.count, 2 * Math.ceil(1000 / 300) + 2, 'a product lookup and a write per chunk')
    assert.equal(imported.result.batch.rowsSucceeded, 1000)
    assert.equal(await stockOf(ctx.db, location.id, products[1]!.id), '99000.000000')
    const rollups = await onlineRollups(ctx.db, location.id)
    assert.deepEqual(rollups.stored, rollups.expected)
  })

  test('mark-paid and fulfil report each order they cannot change and change the rest', async () => {
    const { ids, location } = await placedOrders(4)
    const other = await placedOrders(1)
    const batches = createOrderBatches(ctx.db, { chunkSize: 2 })
    await batches.markOrdersPaid(admin.principal, { orderIds: [ids[0]!] })
    const paid = await batches.markOrdersPaid(admin.principal, { orderIds: [ids[0]!, ids[1]!, 999999999, ids[2]!, ids[1]!] })
    assert.equal(paid.batch.status, 'partial')
    assert.deepEqual([paid.batch.rowsTotal, paid.batch.rowsSucceeded, paid.batch.rowsFailed], [5, 2, 3])
    assert.deepEqual(
      paid.results.map((r) => r.error?.code ?? r.status),
      ['ORDERS_INVALID_TRANSITION', 'paid', 'ORDERS_NOT_FOUND', 'paid', 'ORDERS_DUPLICATE_IN_BATCH'],
    )
    assert.match(paid.results[0]!.error!.message, /is paid: it cannot become paid/)

    const response = await send('POST', '/api/orders/batch/fulfil', { staff: admin.token }, {
      locationId: location.id,
      orders: [
        { orderId: ids[0]!, trackingReference: 'TRACK-0' },
        { orderId: ids[3]!, trackingReference: 'TRACK-3' },
        { orderId: other.ids[0]!, trackingReference: 'TRACK-X' },
        { orderId: ids[1]!, trackingReference: 'TRACK-1' },
      ],
    })
    assert.equal(response.statusCode, 200, response.body)
    const fulfilled = response.json()
    assert.deepEqual(
      fulfilled.results.map((r: { error?: { code: string }; status?: string }) => r.error?.code ?? r.status),
      ['fulfilled', 'ORDERS_INVALID_TRANSITION', 'ORDERS_WRONG_LOCATION', 'fulfilled'],
    )
    assert.match(fulfilled.results[1].error.message, /is placed: it cannot become fulfilled/)
    const [o0, o1, , o3] = await ordersOf(ctx.db, ids)
    assert.deepEqual([o0!.status, o0!.tracking_reference, o0!.events], ['fulfilled', 'TRACK-0', ['imported', 'paid', 'fulfilled']])
    assert.equal(o1!.status, 'fulfilled')
    assert.equal(o3!.status, 'placed', 'left alone')

    const logged = await send('GET', `/api/batches/${fulfilled.batch.id}`, { staff: admin.token })
    assert.equal(logged.statusCode, 200, logged.body)
    const log = logged.json()
    assert.deepEqual([log.status, log.rowsSucceeded, log.rowsFailed], ['partial', 2, 2])
    assert.deepEqual(log.detail.errors.map((e: { row: number; code: string }) => [e.row, e.code]), [[1, 'ORDERS_INVALID_TRANSITION'], [2, 'ORDERS_WRONG_LOCATION']])
    assert.equal(log.statements, 3)
    assert.ok(log.durationMs >= 0 && log.finishedAt !== null)
  })

  test('an import skips orders imported before, refuses those the stock cannot cover, and places the rest', async () => {
    const location = await createLocation(ctx.db)
    const cola = await createProduct(ctx.db, { price: '2.50', taxRate: '10', units: { box12: '12' } })
    const juice = await createProduct(ctx.db, { price: '1.00', taxRate: '20' })
    await addStock(ctx.db, location.id, [{ productId: cola.id, quantity: '30' }, { productId: juice.id, quantity: '5' }])
    const batches = createOrderBatches(ctx.db)
    const first = marketplaceOrders(1, [{ sku: cola.sku, quantity: '2' }], true)
    await batches.importOrders(admin.principal, { source: 'marketplace:acme', locationId: location.id, orders: first })

    const orders: ImportOrderInput[] = [
      first[0]!, // imported before
      { ...marketplaceOrders(1, [])[0]!, lines: [{ sku: cola.sku, unit: 'box12', quantity: '1' }, { sku: juice.sku, quantity: '2', unitPrice: '0.80' }], shippingTotal: '3.00' },
      ...marketplaceOrders(1, [{ sku: juice.sku, quantity: '6' }]), // more than the location holds at all
      ...marketplaceOrders(1, [{ sku: cola.sku, quantity: '17' }]), // 12 + 17 > the 28 left after the first import
      ...marketplaceOrders(1, [{ sku: juice.sku, quantity: '3' }]), // fits: 2 + 3 = 5
      ...marketplaceOrders(1, [{ sku: 'NO-SUCH-SKU' }]),
    ]
    orders.push({ ...orders[1]! }) // the same external reference twice in one batch
    const response = await send('POST', '/api/orders/batch/import', { staff: admin.token }, { source: 'marketplace:acme', locationId: location.id, orders })
    assert.equal(response.statusCode, 200, response.body)
    const { batch, results } = response.json()
    assert.deepEqual(
      results.map((r: { error?: { code: string }; status?: string }) => r.error?.code ?? r.status),
      ['ORDERS_ALREADY_IMPORTED', 'placed', 'ORDERS_SOLD_OUT', 'ORDERS_SOLD_OUT', 'placed', 'ORDERS_UNKNOWN_SKU', 'ORDERS_DUPLICATE_IN_BATCH'],
    )
    assert.deepEqual(results[2].error.details.lines, [{ productId: juice.id, requested: '6', available: '5' }])
    assert.deepEqual([batch.status, batch.rowsTotal, batch.rowsSucceeded, batch.rowsFailed, batch.statements], ['partial', 7, 2, 5, 4])

    const placed = await sql<{ total: string; subtotal: string; tax_total: string; payment_provider: string; lines: { unit_price: string; net_amount: string }[] }>`
      select o.total::text, o.subtotal::text, o.tax_total::text, o.payment_provider,
        (select json_agg(json_build_object('unit_price', l.unit_price::text, 'net_amount', l.net_amount::text) order by l.position)
         from online_order_line l where l.order_id = o.id) as lines
      from online_order o where o.id = ${results[1].orderId}`.execute(ctx.db.primary)
    const order = placed.rows[0]!
    // a box of 12 colas at the catalog's 30.00 + 10 %, two juices at the marketplace's 0.80 + 20 %, shipping 3.00
    assert.deepEqual([order.subtotal, order.tax_total, order.total, order.payment_provider], ['31.60', '3.32', '37.92', 'acme'])
    assert.deepEqual(order.lines.map((l) => l.net_amount), ['30.00', '1.60'])

    assert.equal(await stockOf(ctx.db, location.id, cola.id), '16.000000')
    assert.equal(await stockOf(ctx.db, location.id, juice.id), '0.000000')
    assert.equal(await ledgerSum(ctx.db, location.id, cola.id), '16.000000')
    assert.equal(await ledgerSum(ctx.db, location.id, juice.id), '0.000000')
    const rollups = await onlineRollups(ctx.db, location.id)
    assert.deepEqual(rollups.stored, rollups.expected)
    assert.deepEqual(rollups.stored.map((rows) => rows.length), [3, 2], 'three orders (one imported before) in three shards, two products')

    const again = await batches.importOrders(admin.principal, { source: 'marketplace:acme', locationId: location.id, orders: [orders[1]!] })
    assert.equal(again.results[0]!.error?.code, 'ORDERS_ALREADY_IMPORTED')
    assert.equal(await stockOf(ctx.db, location.id, cola.id), '16.000000', 'a skipped order takes no stock')
  })

  test('a till sale between the import\'s snapshot and its stock write: the chunk is judged again, and never oversells', {
    skip: ctx.kind === 'pglite' && 'PGlite has one connection: no concurrent transaction',
  }, async () => {
    const location = await createLocation(ctx.db)
    const cola = await createProduct(ctx.db, { price: '2.50' })
    await addStock(ctx.db, location.id, [{ productId: cola.id, quantity: '10' }])
    const batches = createOrderBatches(ctx.db)
    let imported: ReturnType<typeof batches.importOrders> | undefined
    await ctx.db.primary.transaction().execute(async (trx) => {
      // the till's sale holds the stock row: the import's statement takes its snapshot (10 in stock), then waits
      await sql`update stock_level set quantity = quantity - 8 where location_id = ${location.id} and product_id = ${cola.id}`.execute(trx)
      await sql`insert into stock_ledger (location_id, product_id, delta, reason, reference) values (${location.id}, ${cola.id}, -8, 'sale', 'till')`.execute(trx)
      imported = batches.importOrders(admin.principal, {
        source: 'marketplace:acme',
        locationId: location.id,
        orders: marketplaceOrders(3, [{ sku: cola.sku, quantity: '2' }]),
      })
      await new Promise((resolve) => setTimeout(resolve, 300))
    })
    const { batch, results } = await imported!
    assert.deepEqual(results.map((r) => r.error?.code ?? r.status), ['placed', 'ORDERS_SOLD_OUT', 'ORDERS_SOLD_OUT'])
    assert.deepEqual((batch.detail as { chunksRetried: number }).chunksRetried, 1)
    assert.equal(batch.statements, 5, 'the log, the lookup, the refused write, its retry, the log')
    assert.equal(await stockOf(ctx.db, location.id, cola.id), '0.000000')
    assert.equal(await ledgerSum(ctx.db, location.id, cola.id), '0.000000')
  })

  test('the batch log over HTTP: staff only, a location-bound token sees its own batches', async () => {
    const shop = await onlineShop(ctx.db)
    const manager = await createToken(ctx.db, 'manager', [shop.location.code])
    const cashier = await createToken(ctx.db, 'cashier')
    const batches = createOrderBatches(ctx.db)
    await batches.importOrders(admin.principal, { source: 'marketplace:shop', locationId: shop.location.id, orders: marketplaceOrders(1, [{ sku: shop.products[0]!.sku }]) })
    const own = await send('POST', '/api/orders/batch/import', { staff: manager.token }, {
      source: 'marketplace:shop',
      locationId: shop.location.id,
      orders: marketplaceOrders(2, [{ sku: shop.products[0]!.sku }]),
    })
    assert.equal(own.statusCode, 200, own.body)
    const theirs = own.json().batch
    assert.equal(theirs.tokenId, manager.principal.tokenId)

    const listed = await send('GET', '/api/batches?operation=orders.import', { staff: manager.token })
    assert.equal(listed.statusCode, 200, listed.body)
    assert.deepEqual(listed.json().items.map((b: { id: number }) => b.id), [theirs.id])
    const byAdmin = await send('GET', '/api/batches?operation=orders.import&limit=200', { staff: admin.token })
    assert.ok(byAdmin.json().items.length > 1)
    assert.equal(byAdmin.json().items[0].id, theirs.id, 'newest first')
    const notTheirs = byAdmin.json().items.find((b: { tokenId: number }) => b.tokenId !== manager.principal.tokenId)
    assert.equal((await send('GET', `/api/batches/${notTheirs.id}`, { staff: manager.token })).statusCode, 404)
    assert.equal((await send('GET', '/api/batches', { staff: cashier.token })).statusCode, 403)
    const elsewhere = await createLocation(ctx.db)
    const refused = await send('POST', '/api/orders/batch/fulfil', { staff: manager.token }, {
      locationId: elsewhere.id,
      orders: [{ orderId: 1, trackingReference: 'T' }],
    })
    assert.equal(refused.statusCode, 403)
  })
})
