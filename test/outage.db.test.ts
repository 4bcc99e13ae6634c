/**
 * A database outage under load: four tills sell through HTTP while a PostgreSQL of the test's own
 * is stopped for 3 s and started again. Every request in the outage must get a fast 503 (never a
 * 500, never a hang), Brisk must sell again within 1 s of the database's return without a restart,
 * and every sale it confirmed must be stored whole — with nothing half-written beside it.
 */
import assert from 'node:assert/strict'
import { after, before, describe, type TestContext, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { type BriskApp, buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config/config.ts'
import { Big } from '../src/infra/decimal.ts'
import { addStock, createLocation, createProducts, createToken } from './factories.ts'
import { findPostgresBinaries, type PostgresServer, type StopMode, startPostgresServer } from './postgres-server.ts'

const OUTAGE_MS = 3000
const TILLS = 4
const INITIAL_STOCK = 100_000
/** A till that got a 503 waits this long before its next try, as a cashier would. */
const PAUSE_AFTER_503_MS = 40

const binaries = findPostgresBinaries()
const skip = 'missing' in binaries ? `no PostgreSQL server binaries to start one: ${binaries.missing}` : false

interface Sent {
  till: number
  note: string
  keyed: boolean
  startedAt: number
  endedAt: number
  status: number
  code?: string
  retryAfter?: string
  total?: string
}

interface Timeline {
  stopping: number
  stopped: number
  starting: number
  started: number
}

describe('a PostgreSQL outage under load', () => {
  let server: PostgresServer | undefined
  let app: BriskApp | undefined

  before(async () => {
    if (!('bindir' in binaries)) return
    server = await startPostgresServer(binaries.bindir)
    app = await buildApp(loadConfig({}, { databaseUrl: server.url, logLevel: 'silent', seedDemo: false }))
  })
  after(async () => {
    try {
      await app?.close()
    } finally {
      await server?.remove()
    }
  })

  for (const mode of ['fast', 'immediate'] as const) {
    const name = `4 tills through a 3 s outage (pg_ctl stop -m ${mode}): fast 503s, recovery within 1 s, every sale whole`
    test(name, { skip }, async (t) => {
      const shop = await openShop(app!)
      const { sent, timeline, readyWhileDown, readyAfter } = await sellThroughOutage(app!, server!, shop, mode)
      const during = sent.filter((s) => s.startedAt >= timeline.stopped && s.startedAt < timeline.starting)
      const firstSaleBack = sent.find((s) => s.status === 201 && s.startedAt >= timeline.started)
      const backAfter = firstSaleBack ? (firstSaleBack.endedAt - timeline.started).toFixed(0) : '–'
      const stopTook = (timeline.stopped - timeline.stopping).toFixed(0)
      t.diagnostic(
        `${sent.length} requests: ${count(sent, 201)} sold, ${count(sent, 503)} answered 503 (${during.length} while the ` +
          `server was down, slowest ${slowest(during).toFixed(1)} ms); stop took ${stopTook} ms, ` +
          `first sale ${backAfter} ms after the server was back`,
      )

      assert.deepEqual(
        sent.filter((s) => s.status !== 201 && s.status !== 503).map((s) => `${s.note}: ${s.status} ${s.code}`),
        [],
        'every answer is a sale or a 503',
      )
      for (const s of sent.filter((r) => r.status === 503)) {
        assert.equal(s.code, 'DATABASE_UNAVAILABLE', s.note)
        assert.equal(s.retryAfter, '1', `${s.note}: Retry-After`)
      }
      assert.ok(during.length >= 3 * TILLS, `the tills kept selling through the outage (${during.length} requests)`)
      assert.deepEqual(
        during.filter((s) => s.status !== 503).map((s) => s.note),
        [],
        'with the server down, every request is a 503',
      )
      const outageWindow = sent.filter((s) => s.startedAt >= timeline.stopping && s.startedAt < timeline.started + 1000)
      const slowestAround = slowest(outageWindow)
      assert.ok(slowestAround < 1000, `every answer around the outage within 1 s (slowest ${slowestAround.toFixed(0)} ms)`)

      assert.equal(readyWhileDown.status, 503, '/health/ready while the server is down')
      assert.ok(readyWhileDown.ms < 1000, `/health/ready answered in ${readyWhileDown.ms.toFixed(0)} ms`)
      assert.equal(readyAfter.status, 200, '/health/ready once it is back')

      assert.ok(firstSaleBack, 'selling again after the outage')
      assert.ok(firstSaleBack.endedAt - timeline.started < 1000, 'the first sale within 1 s of the server being back')
      const late = sent.filter((s) => s.startedAt >= timeline.started + 1000)
      assert.ok(late.length >= TILLS, 'the tills sold on for a while')
      assert.deepEqual(
        late.filter((s) => s.status !== 201).map((s) => `${s.note}: ${s.status}`),
        [],
        'from 1 s after the return on, everything sells',
      )

      // Keyed tills send a refused sale again with its key, as a till does; a stored sale replays.
      await settleKeyedSales(app!, shop, sent)
      await assertSalesWhole(app!, shop, sent, t)
    })
  }

  test('with the database down a cached product is still browsed, and a sale of it is a 503, never a sale at a cached price', { skip }, async () => {
    const shop = await openShop(app!)
    const url = `/api/products/${shop.products[0]!.id}`
    const warm = await app!.http.inject({ method: 'GET', url })
    assert.equal(warm.statusCode, 200)
    await server!.stop('fast')
    try {
      const browsed = await app!.http.inject({ method: 'GET', url })
      assert.equal(browsed.statusCode, 200, browsed.body)
      assert.deepEqual(browsed.json(), warm.json())
      const payload = saleOf(shop, 0, 0)
      const sale = await app!.http.inject({ method: 'POST', url: '/api/sales/invoices', headers: { authorization: shop.authorization }, payload })
      assert.equal(sale.statusCode, 503, sale.body)
    } finally {
      await server!.start()
    }
  })
})

interface Shop {
  locationId: number
  products: { id: number; sku: string }[]
  authorization: string
}

async function openShop(app: BriskApp): Promise<Shop> {
  const location = await createLocation(app.db)
  const products = await createProducts(app.db, 3, { price: '2.50', taxRate: '20' })
  await addStock(
    app.db,
    location.id,
    products.map((p) => ({ productId: p.id, quantity: String(INITIAL_STOCK) })),
  )
  const cashier = await createToken(app.db, 'cashier', [location.code])
  return { locationId: location.id, products, authorization: cashier.authorization }
}

/** Till `till`'s sale number `n`: quantities vary so a mixed-up line would show. The note names it. */
function saleOf(shop: Shop, till: number, n: number) {
  return {
    locationId: shop.locationId,
    note: `till ${till} sale ${n}`,
    lines: shop.products.map((p, i) => ({ sku: p.sku, quantity: 1 + ((n + i) % 3) })),
    payments: [{ method: 'cash', amount: '100' }],
    submit: true,
  }
}

async function sell(app: BriskApp, shop: Shop, till: number, n: number, keyed: boolean, clock: () => number): Promise<Sent> {
  const payload = saleOf(shop, till, n)
  const headers = { authorization: shop.authorization, ...(keyed ? { 'idempotency-key': payload.note } : {}) }
  const startedAt = clock()
  const response = await app.http.inject({ method: 'POST', url: '/api/sales/invoices', headers, payload })
  const endedAt = clock()
  const body = response.json()
  const retryAfter = response.headers['retry-after']
  return {
    till,
    note: payload.note,
    keyed,
    startedAt,
    endedAt,
    status: response.statusCode,
    ...(response.statusCode === 201 ? { total: body.total } : { code: body.error?.code }),
    ...(retryAfter === undefined ? {} : { retryAfter: String(retryAfter) }),
  }
}

/**
 * Tills 0 and 1 send an Idempotency-Key (the sale runs in a transaction with the key's claim) and
 * retry a refused sale with it; tills 2 and 3 send none (one statement) and go on to the next sale.
 */
async function sellThroughOutage(app: BriskApp, server: PostgresServer, shop: Shop, mode: StopMode) {
  const origin = performance.now()
  const clock = () => performance.now() - origin
  const sent: Sent[] = []
  let selling = true
  const till = async (number: number) => {
    const keyed = number < 2
    let n = 0
    while (selling) {
      const result = await sell(app, shop, number, n, keyed, clock)
      sent.push(result)
      if (result.status === 201 || !keyed) n++
      if (result.status !== 201) await sleep(PAUSE_AFTER_503_MS)
    }
  }
  const tills = Array.from({ length: TILLS }, (_, i) => till(i))
  try {
    await sleep(800)
    const stopping = clock()
    await server.stop(mode)
    const stopped = clock()
    await sleep(OUTAGE_MS / 2)
    const readyWhileDown = await readiness(app, clock)
    await sleep(OUTAGE_MS / 2)
    const starting = clock()
    await server.start()
    const started = clock()
    await sleep(1800)
    const readyAfter = await readiness(app, clock)
    return { sent, timeline: { stopping, stopped, starting, started } satisfies Timeline, readyWhileDown, readyAfter }
  } finally {
    selling = false
    await Promise.all(tills)
  }
}

async function readiness(app: BriskApp, clock: () => number) {
  const start = clock()
  const response = await app.http.inject({ method: 'GET', url: '/health/ready' })
  return { status: response.statusCode, ms: clock() - start }
}

async function settleKeyedSales(app: BriskApp, shop: Shop, sent: Sent[]) {
  const sold = new Set(sent.filter((s) => s.status === 201).map((s) => s.note))
  const refused = sent.filter((s) => s.keyed && s.status !== 201 && !sold.has(s.note))
  for (const note of new Set(refused.map((s) => s.note))) {
    const [, till, , n] = note.split(' ')
    const retried = await sell(app, shop, Number(till), Number(n), true, () => 0)
    assert.equal(retried.status, 201, `${note} sent again with its key`)
    sent.push(retried)
  }
}

/**
 * Every confirmed sale is stored once with all its lines and its payment; every stored invoice is
 * whole; stock, ledger and the hourly report agree with the stored invoices exactly.
 */
async function assertSalesWhole(app: BriskApp, shop: Shop, sent: Sent[], t: TestContext) {
  const db = app.db.primary
  const countAll = sql<string>`count(*)`.as('n')
  const invoices = await db
    .selectFrom('sales_invoice as i')
    .where('i.location_id', '=', shop.locationId)
    .select((eb) => [
      'i.id',
      'i.note',
      'i.status',
      'i.total',
      'i.paid_total',
      'i.line_count',
      eb.selectFrom('sales_invoice_line as l').whereRef('l.invoice_id', '=', 'i.id').select(countAll).as('lines'),
      eb.selectFrom('sales_payment as p').whereRef('p.invoice_id', '=', 'i.id').select(countAll).as('payments'),
    ])
    .execute()
  const byNote = new Map<string, (typeof invoices)[number]>()
  for (const invoice of invoices) {
    assert.ok(invoice.note !== null && !byNote.has(invoice.note), `${invoice.note} stored once`)
    byNote.set(invoice.note, invoice)
    assert.equal(invoice.status, 'submitted', invoice.note)
    assert.equal(Number(invoice.lines), 3, `${invoice.note}: lines`)
    assert.equal(invoice.line_count, 3, `${invoice.note}: line count`)
    assert.equal(Number(invoice.payments), 1, `${invoice.note}: payment`)
  }
  const confirmed = sent.filter((s) => s.status === 201)
  for (const sale of confirmed) {
    const stored = byNote.get(sale.note)
    assert.ok(stored, `${sale.note} was confirmed, so it is stored`)
    assert.equal(new Big(stored.total).toFixed(2), sale.total, `${sale.note}: total`)
  }
  const unconfirmed = invoices.filter((i) => !confirmed.some((s) => s.note === i.note))
  // A sale without a key whose connection died after COMMIT but before the answer: stored, yet its till saw a 503.
  t.diagnostic(`${invoices.length} invoices stored; ${unconfirmed.length} of them answered 503 (outcome unknown to the till)`)
  assert.ok(unconfirmed.every((i) => !i.note?.startsWith('till 0') && !i.note?.startsWith('till 1')), 'keyed sales all settled')

  const soldByProduct = await db
    .selectFrom('sales_invoice_line as l')
    .innerJoin('sales_invoice as i', 'i.id', 'l.invoice_id')
    .where('i.location_id', '=', shop.locationId)
    .groupBy('l.product_id')
    .select(['l.product_id', sql<string>`sum(l.base_quantity)`.as('sold'), sql<string>`count(*)`.as('lines')])
    .execute()
  for (const product of shop.products) {
    const sold = soldByProduct.find((p) => p.product_id === product.id)
    const expected = new Big(INITIAL_STOCK).minus(sold?.sold ?? 0)
    const level = await db
      .selectFrom('stock_level')
      .select('quantity')
      .where('location_id', '=', shop.locationId)
      .where('product_id', '=', product.id)
      .executeTakeFirstOrThrow()
    assert.equal(new Big(level.quantity).toString(), expected.toString(), `stock of ${product.sku}`)
    const ledger = await db
      .selectFrom('stock_ledger')
      .where('location_id', '=', shop.locationId)
      .where('product_id', '=', product.id)
      .select([sql<string>`sum(delta)`.as('total'), sql<string>`count(*) filter (where reason = 'sale')`.as('sales')])
      .executeTakeFirstOrThrow()
    assert.equal(new Big(ledger.total).toString(), expected.toString(), `ledger of ${product.sku}`)
    assert.equal(Number(ledger.sales), Number(sold?.lines ?? 0), `a ledger row per sold line of ${product.sku}`)
  }
  await assertReportAgrees(app, shop, invoices)
}

/** The hourly rollups, written in each sale's statement, count exactly the stored invoices. */
async function assertReportAgrees(app: BriskApp, shop: Shop, invoices: { total: string }[]) {
  const today = new Date().toISOString().slice(0, 10)
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
  let reported = 0
  let amount = new Big(0)
  // a run just after midnight UTC may have sold on both days
  for (const date of new Set([yesterday, today])) {
    const response = await app.http.inject({
      method: 'GET',
      url: `/api/reports/sales/hourly?locationId=${shop.locationId}&date=${date}`,
      headers: { authorization: shop.authorization },
    })
    assert.equal(response.statusCode, 200, response.body)
    for (const hour of response.json().hours as { invoices: number; totalAmount: string }[]) {
      reported += hour.invoices
      amount = amount.plus(hour.totalAmount)
    }
  }
  assert.equal(reported, invoices.length, 'invoices in the report')
  assert.equal(amount.toFixed(2), invoices.reduce((sum, i) => sum.plus(i.total), new Big(0)).toFixed(2), 'total in the report')
}

function count(sent: Sent[], status: number): number {
  return sent.filter((s) => s.status === status).length
}

function slowest(sent: Sent[]): number {
  return Math.max(0, ...sent.map((s) => s.endedAt - s.startedAt))
}
