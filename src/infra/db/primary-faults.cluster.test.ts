/**
 * The primary going away and coming back, and the primary turning read-only (a failover: a replica
 * promoted, the old primary demoted), on a real primary with streaming replicas and Brisk selling
 * through them. Writes fail fast with a 503 naming the problem, nothing is half-written, and writes
 * succeed again once a writable primary answers — without restarting Brisk.
 */
import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { type BriskApp, buildApp } from '../../app.ts'
import { type ClusterApp, clusterConfig, clusterSkip, type LoadSample, startClusterApp, startLoad, waitUntil } from '../../../test/cluster-app.ts'
import { addStock, createLocation, createToken } from '../../../test/factories.ts'
import { startTcpProxy, type TcpProxy } from '../../../test/tcp-proxy.ts'
import { queryNode } from '../pg-cluster/pg-cluster.ts'

let shop: ClusterApp | undefined
let seller: { locationId: number; authorization: string } | undefined
before(async () => {
  if (clusterSkip) return
  shop = await startClusterApp({ replicas: 2, products: 10 })
  const location = await createLocation(shop.primaryDb)
  await addStock(shop.primaryDb, location.id, shop.productIds.map((productId) => ({ productId, quantity: '100000' })))
  const cashier = await createToken(shop.primaryDb, 'cashier', [location.code])
  seller = { locationId: location.id, authorization: cashier.authorization }
})
after(async () => {
  await shop?.close()
})

interface Sales {
  /** invoices the till was told were sold (201) */
  acknowledged: number[]
  /** error codes of the refused ones, by status */
  refusals: { status: number; code: string; at: number }[]
}

/** A till selling two lines, paid and submitted in one request, as fast as it is answered. */
function sellAgainstTime(app: BriskApp, clients: number, sales: Sales) {
  const { productIds } = shop!
  const started = performance.now()
  return startLoad(clients, async (client, i) => {
    const pick = (k: number) => productIds[(client * 3 + i + k) % productIds.length]!
    const response = await app.http.inject({
      method: 'POST',
      url: '/api/sales/invoices',
      headers: { authorization: seller!.authorization },
      payload: {
        locationId: seller!.locationId,
        lines: [
          { productId: pick(0), quantity: 1 },
          { productId: pick(1), quantity: 2 },
        ],
        payments: [{ method: 'cash', amount: '1000.00' }],
        submit: true,
      },
    })
    if (response.statusCode === 201) sales.acknowledged.push(response.json().id)
    else sales.refusals.push({ status: response.statusCode, code: response.json().error?.code, at: performance.now() - started })
    return response.statusCode
  })
}

/** Every acknowledged sale is whole (its two lines, its payment, submitted) and no other sale, whole or partial, exists. */
async function assertNothingHalfWritten(sales: Sales): Promise<void> {
  const db = shop!.primaryDb.primary
  const invoices = await db
    .selectFrom('sales_invoice as i')
    .select((eb) => [
      'i.id',
      'i.status',
      eb.selectFrom('sales_invoice_line as l').whereRef('l.invoice_id', '=', 'i.id').select(sql<number>`count(*)::int`.as('n')).as('lines'),
      eb.selectFrom('sales_payment as p').whereRef('p.invoice_id', '=', 'i.id').select(sql<number>`count(*)::int`.as('n')).as('payments'),
    ])
    .where('i.location_id', '=', seller!.locationId)
    .execute()
  const byId = new Map(invoices.map((invoice) => [invoice.id, invoice]))
  for (const id of sales.acknowledged) {
    const invoice = byId.get(id)
    assert.ok(invoice, `acknowledged sale ${id} exists`)
    assert.deepEqual({ status: invoice.status, lines: invoice.lines, payments: invoice.payments }, { status: 'submitted', lines: 2, payments: 1 })
  }
  const partial = invoices.filter((i) => i.status !== 'submitted' || i.lines !== 2 || i.payments !== 1)
  assert.deepEqual(partial, [], 'no partial sale')
  // every unit that left the shelf is on a sale line, and the ledger says the same as the levels
  const [moved] = await sql<{ sold: string; ledger: string; level: string }>`
    select (select coalesce(sum(base_quantity), 0) from sales_invoice_line l join sales_invoice i on i.id = l.invoice_id
             where i.location_id = ${seller!.locationId})::text as sold,
           (select -coalesce(sum(delta), 0) from stock_ledger where location_id = ${seller!.locationId} and reason <> 'adjustment')::text as ledger,
           (select ${String(100000 * shop!.productIds.length)}::numeric - coalesce(sum(quantity), 0) from stock_level
             where location_id = ${seller!.locationId})::text as level`
    .execute(db)
    .then((r) => r.rows)
  assert.ok(moved)
  assert.equal(Number(moved.sold), Number(moved.ledger), 'stock ledger matches the sale lines')
  assert.equal(Number(moved.sold), Number(moved.level), 'stock levels match the sale lines')
}

test('the primary stopped mid-load: writes get a 503 within 1 s, nothing is half-written, writes succeed again when it is back', { skip: clusterSkip }, async () => {
  const { app, cluster } = shop!
  const sales: Sales = { acknowledged: [], refusals: [] }
  const load = sellAgainstTime(app, 4, sales)
  let samples: LoadSample[] = []
  const loadStarted = performance.now()
  let stoppedAt = 0
  let restartedAt = 0
  try {
    await waitUntil('some sales went through', () => sales.acknowledged.length >= 20)
    const stopping = performance.now() - loadStarted
    await cluster.primary.stop('fast')
    stoppedAt = performance.now() - loadStarted
    await sleep(2000)
    const soldWhileDown = sales.acknowledged.length
    restartedAt = performance.now() - loadStarted
    await cluster.primary.start()
    await waitUntil('a sale goes through again', () => sales.acknowledged.length > soldWhileDown, 15_000)
    await sleep(300)
    samples = await load.stop()
    const whileDown = samples.filter((s) => s.at > stoppedAt && s.at + s.ms < restartedAt)
    assert.ok(whileDown.length > 0, 'sales were attempted while the primary was down')
    assert.deepEqual(new Set(whileDown.map((s) => s.status)), new Set([503]), 'every sale while it was down was a 503')
    const slowest = Math.max(...whileDown.map((s) => s.ms))
    assert.ok(slowest < 1000, `a 503 within 1 s (slowest ${slowest.toFixed(0)} ms)`)
    const firstRefusal = sales.refusals.find((r) => r.at >= stopping)
    assert.ok(firstRefusal && firstRefusal.at - stoppedAt < 1000, 'refused within 1 s of the stop')
    assert.deepEqual(new Set(sales.refusals.map((r) => `${r.status} ${r.code}`)), new Set(['503 DATABASE_UNAVAILABLE']))
  } finally {
    if (samples.length === 0) await load.stop()
    if (cluster.primary.pid === undefined) await cluster.primary.start()
  }
  assert.ok(samples.every((s) => s.status === 201 || s.status === 503), 'no other answer than sold or 503')
  await assertNothingHalfWritten(sales)
})

test('the primary demoted and a replica promoted behind the same address: writes get a 503 DATABASE_READ_ONLY, the pool is rebuilt, and writes recover', { skip: clusterSkip }, async () => {
  const { cluster } = shop!
  const [newPrimary] = cluster.replicas
  await cluster.waitUntilStreaming()
  // Brisk's primary URL leads through a proxy, as a DNS name or a virtual IP that a failover moves
  const proxy: TcpProxy = await startTcpProxy(cluster.primary.port)
  const app = await buildApp(
    clusterConfig(cluster, { BRISK_DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/brisk`, BRISK_REPLICA_URLS: cluster.replicas[1]!.url }),
  )
  const sales: Sales = { acknowledged: [], refusals: [] }
  const loadStartedAt = performance.now()
  const load = sellAgainstTime(app, 4, sales)
  let samples: LoadSample[] = []
  let demotedAt = 0
  try {
    await waitUntil('some sales went through', () => sales.acknowledged.length >= 20)
    demotedAt = performance.now() - loadStartedAt
    // the old primary turns read-only for every session (as a demotion makes it), then the replica takes over
    await queryNode(cluster.primary.url, 'alter system set default_transaction_read_only = on')
    await queryNode(cluster.primary.url, 'select pg_reload_conf()')
    await waitUntil('a sale is refused as read-only', () => sales.refusals.some((r) => r.code === 'DATABASE_READ_ONLY'), 5000)
    await newPrimary!.promote()
    proxy.retarget(newPrimary!.port)
    // connections opened before the move still lead to the old primary: each is refused once, then replaced
    const recoveredIn = await waitUntil(
      'sales go through on the new primary, none refused',
      async () => {
        const [sold, refused] = [sales.acknowledged.length, sales.refusals.length]
        await sleep(200)
        return sales.acknowledged.length > sold && sales.refusals.length === refused
      },
      10_000,
    )
    samples = await load.stop()
    assert.ok(recoveredIn < 5000, `writes recovered ${recoveredIn.toFixed(0)} ms after the move`)
  } finally {
    if (samples.length === 0) samples = await load.stop()
    await app.close()
    await proxy.close()
  }
  assert.deepEqual(new Set(sales.refusals.map((r) => `${r.status} ${r.code}`)), new Set(['503 DATABASE_READ_ONLY']))
  const slowest = Math.max(...samples.filter((s) => s.at + s.ms > demotedAt).map((s) => s.ms))
  assert.ok(slowest < 2000, `no request hung during the failover (slowest ${slowest.toFixed(0)} ms)`)
  // the sales after the move are on the promoted replica, whole
  const [last] = await queryNode<{ id: number; lines: number }>(
    newPrimary!.url,
    'select i.id::int as id, (select count(*)::int from sales_invoice_line l where l.invoice_id = i.id) as lines from sales_invoice i order by i.id desc limit 1',
  )
  assert.equal(last?.id, Math.max(...sales.acknowledged))
  assert.equal(last?.lines, 2)
})
