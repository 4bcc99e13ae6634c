/**
 * `brisk bench batch-orders` with tiny sizes, on PostgreSQL when BRISK_TEST_DATABASE_URL is set
 * (else PGlite): what does not depend on the machine's speed — Brisk's statements stay 3 whatever
 * the number of orders (seed 003: 10 orders in ≤ 3), the naive loop sends at least one per order,
 * every order goes through, stock, ledger, rollups and history agree — and no scratch database is
 * left. Timings are printed by the scenario, never asserted here.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, mock, test } from 'node:test'
import { testDatabaseUrl } from '../../test/db.ts'
import { loadConfig } from '../config/config.ts'
import { batchOrdersScenario, type Summary } from './batch-orders/index.ts'
import { useBenchDatabase } from './bench.test-support.ts'

const benchDb = useBenchDatabase('bench')

const config = loadConfig(testDatabaseUrl ? { BRISK_DATABASE_URL: testDatabaseUrl } : {})

type Printed = Summary & { scenario: string; database: string; operation: string }

async function runJson(options: Record<string, string>): Promise<Printed> {
  const stdout: string[] = []
  mock.method(console, 'log', (...args: unknown[]) => stdout.push(args.join(' ')))
  mock.method(process.stderr, 'write', () => true)
  try {
    await batchOrdersScenario.run(config, { ...options, ...benchDb.where(), json: true })
  } finally {
    mock.restoreAll()
  }
  assert.equal(stdout.length, 1, 'stdout is one JSON document')
  return JSON.parse(stdout[0]!) as Printed
}


const statementsOf = (printed: Printed, size: number, variant: 'naive' | 'brisk') =>
  printed.results.find((r) => r.size === size && r.variant === variant)!.statements

describe('brisk bench batch-orders', () => {
  beforeEach(() => {
    process.exitCode = undefined
  })
  afterEach(() => mock.restoreAll())

  test("mark-paid: brisk in 3 statements for 10 and for 50 orders (seed 003's case met), naive at least one per order", async () => {
    const printed = await runJson({ size: '10,50' })
    assert.deepEqual([printed.scenario, printed.operation], ['batch-orders', 'mark-paid'])
    assert.deepEqual(printed.results.map((r) => [r.size, r.variant, r.orders]), [[10, 'naive', 10], [10, 'brisk', 10], [50, 'naive', 50], [50, 'brisk', 50]])
    for (const size of [10, 50]) {
      assert.equal(statementsOf(printed, size, 'brisk'), 3)
      assert.ok(statementsOf(printed, size, 'naive') >= size, `naive, ${size} orders: ${statementsOf(printed, size, 'naive')}`)
    }
    assert.ok(printed.results.every((r) => r.variant === 'naive' || r.loggedStatements === r.statements), 'the batch log counts what was sent')
    assert.deepEqual(printed.seed003, { statements: 3, maxStatements: 3, met: true })
    assert.deepEqual(printed.checks, { stockDrift: 0, rollupOrdersOff: 0, rollupNetOff: 0, ordersWithoutEvent: 0 })
    assert.deepEqual(printed.ratios.map((r) => r.size), [10, 50])
    assert.equal(await benchDb.scratchLeft(printed.database), false)
  })

  test('import: brisk in 4 statements (the log, a lookup, a write), naive at least one per order; stock, ledger and rollups agree', async () => {
    const printed = await runJson({ size: '10,30', operation: 'import' })
    for (const size of [10, 30]) {
      assert.equal(statementsOf(printed, size, 'brisk'), 4)
      assert.ok(statementsOf(printed, size, 'naive') >= size)
    }
    assert.equal(printed.seed003, null, "seed 003's case is mark-paid")
    assert.deepEqual(printed.checks, { stockDrift: 0, rollupOrdersOff: 0, rollupNetOff: 0, ordersWithoutEvent: 0 })
    assert.equal(await benchDb.scratchLeft(printed.database), false)
  })

  test('bad options are refused before anything runs', async () => {
    await assert.rejects(batchOrdersScenario.run(config, { size: '0' }), /--size must be a whole number/)
    await assert.rejects(batchOrdersScenario.run(config, { size: '10,x' }), /--size must be a whole number/)
    await assert.rejects(batchOrdersScenario.run(config, { operation: 'refund' }), /--operation must be mark-paid or import/)
  })
})
