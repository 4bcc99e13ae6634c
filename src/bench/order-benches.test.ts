/**
 * `brisk bench checkout` and `brisk bench flash-sale` with tiny settings, on PostgreSQL (both start
 * `brisk serve`): what does not depend on the machine's speed — every order written once, rollups
 * and ledger agreeing with the stock, statements per checkout, exactly the units in stock sold and
 * every other buyer a clean sold-out — and that they leave no scratch database or child process.
 * Timings are printed by the scenarios, never asserted here.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, mock, test } from 'node:test'
import pg from 'pg'
import { testDatabaseUrl } from '../../test/db.ts'
import { loadConfig } from '../config/config.ts'
import { childrenOf } from './children.ts'
import { checkoutScenario, type Results as CheckoutResults, type Target } from './checkout/index.ts'
import { flashSaleScenario, type Results as FlashResults } from './flash-sale/index.ts'

const noPostgres = testDatabaseUrl ? false : 'the scenarios run on PostgreSQL: set BRISK_TEST_DATABASE_URL'
const config = loadConfig(testDatabaseUrl ? { BRISK_DATABASE_URL: testDatabaseUrl } : {})

function captureStdout() {
  const stdout: string[] = []
  mock.method(console, 'log', (...args: unknown[]) => stdout.push(args.join(' ')))
  mock.method(process.stderr, 'write', () => true)
  return stdout
}

async function scratchLeft(database: string): Promise<boolean> {
  const name = /\b(brisk_bench_[0-9a-f]{8})\b/.exec(database)?.[1]
  assert.ok(name, `names no scratch database: ${database}`)
  const client = new pg.Client({ connectionString: testDatabaseUrl })
  await client.connect()
  try {
    return (await client.query('select 1 from pg_database where datname = $1', [name])).rows.length > 0
  } finally {
    await client.end()
  }
}

describe('brisk bench checkout and flash-sale', () => {
  let stdout: string[]
  let childrenBefore: number[]
  beforeEach(() => {
    childrenBefore = childrenOf(process.pid)
    stdout = captureStdout()
  })
  afterEach(() => mock.restoreAll())

  test('both refuse to run without PostgreSQL, before starting anything', async () => {
    for (const scenario of [checkoutScenario, flashSaleScenario]) {
      await assert.rejects(scenario.run(loadConfig({}), { json: true }), /runs on PostgreSQL.*BRISK_DATABASE_URL/s)
    }
    assert.deepEqual(stdout, [])
  })

  test('checkout: every order written once, rollups and ledger agree, at most 6 statements per cart + place', { skip: noPostgres }, async () => {
    await checkoutScenario.run(config, { lines: '3', clients: '2', duration: '1', warmup: '0', rounds: '2', products: '20', json: true })
    mock.restoreAll()
    assert.equal(stdout.length, 1, 'stdout is one JSON document')
    const printed = JSON.parse(stdout[0]!) as { scenario: string; database: string; results: CheckoutResults; targets: Target[] }
    assert.equal(printed.scenario, 'checkout')
    const { brisk, floor, invariants, placeToFloorP50 } = printed.results
    for (const [name, r] of [['brisk', brisk], ['floor', floor]] as const) {
      assert.ok(r.orders > 0 && r.ordersPerSecond > 0 && r.p99Ms >= r.p95Ms && r.p95Ms >= r.p50Ms, `${name}: ${JSON.stringify(r)}`)
      assert.equal(r.errors, 0, `${name}: ${r.firstError}`)
    }
    assert.ok(brisk.place.p50Ms > 0 && brisk.place.p50Ms <= brisk.p50Ms)
    // the cart in one statement once its products are cached; the read, then the order with its key claimed in it
    assert.ok(brisk.statementsPerOrder <= 6, JSON.stringify(brisk))
    assert.equal(brisk.statementsPerOrder, brisk.cartStatements + brisk.placeStatements)
    assert.equal(floor.statementsPerOrder, 1)
    assert.ok(placeToFloorP50 !== null && placeToFloorP50 > 0)
    assert.equal(invariants.orders, invariants.placed, 'every order placed is in the database, once')
    assert.equal(invariants.rollupOrders, invariants.orders, 'the online rollups count every order')
    assert.deepEqual([invariants.stockDrift, invariants.negativeStock], [0, 0])
    assert.deepEqual(
      printed.targets.map((t) => t.met),
      [null, true, printed.targets[2]!.met, null],
      'the 51-line and 700 orders/s targets are not judged at these settings',
    )
    assert.equal(await scratchLeft(printed.database), false)
    assert.deepEqual(childrenOf(process.pid), childrenBefore, 'brisk serve is gone')
  })

  for (const carts of ['during', 'ready'] as const) {
    test(`flash-sale (carts ${carts}): 20 buyers for 5 units — 5 sold, 15 clean sold-out answers, stock 0, ledger = stock`, { skip: noPostgres }, async () => {
      await flashSaleScenario.run(config, { buyers: '20', units: '5', carts, json: true })
      mock.restoreAll()
      const printed = JSON.parse(stdout[0]!) as { scenario: string; database: string; results: FlashResults }
      assert.equal(printed.scenario, 'flash-sale')
      const { byChannel, database, checks } = printed.results
      assert.deepEqual(checks.filter((c) => !c.ok), [])
      assert.deepEqual([byChannel.all.buyers, byChannel.all.sold, byChannel.all.soldOut, byChannel.all.errors], [20, 5, 15, 0])
      assert.deepEqual([byChannel.till.buyers, byChannel.online.buyers], [10, 10])
      assert.equal(byChannel.till.sold + byChannel.online.sold, 5)
      assert.deepEqual([database.tillSold + database.onlineSold, database.stock, database.ledgerSum], [5, 0, 0])
      assert.ok(byChannel.all.p99Ms >= byChannel.all.p50Ms && byChannel.online.place !== undefined)
      assert.equal(await scratchLeft(printed.database), false)
      assert.deepEqual(childrenOf(process.pid), childrenBefore, 'brisk serve is gone')
    })
  }
})
