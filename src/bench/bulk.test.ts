/**
 * `brisk bench bulk` with tiny inputs, on PostgreSQL when BRISK_TEST_DATABASE_URL is set (else
 * PGlite): what does not depend on the machine's speed — every variant lands every row, the naive
 * loop sends at least a statement per row, brisk sends ⌈N/chunk⌉ × k + c (per chunk: BEGIN, its
 * lock_timeout, the kind's write — 1 statement, products 6 —, the import run moved on, COMMIT;
 * per run: the batch log row and the import run row, each written and finished, and a stock
 * count's location read), the tills never fail, and no scratch database is left. Timings are
 * printed by the scenario, never asserted here.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, mock, test } from 'node:test'
import { testDatabaseUrl } from '../../test/db.ts'
import { loadConfig } from '../config/config.ts'
import { importKinds } from '../modules/imports/index.ts'
import { bulkScenario, type Summary } from './bulk/index.ts'
import { FLOOR_ON_PGLITE } from './bulk/floor.ts'
import { useBenchDatabase } from './bench.test-support.ts'

const benchDb = useBenchDatabase('bulk')

const config = loadConfig(testDatabaseUrl ? { BRISK_DATABASE_URL: testDatabaseUrl } : {})
const SIZE = 200
const CHUNK = 50
/** products: begin, the catalog chunk upsert (1 lookup, 2 writes), the run moved forward, commit; the others write in one */
const PER_CHUNK = { views: 1, scores: 1, stock: 1, products: 6 }
/** a stock count also reads its location once */
const PER_RUN = { views: 2, scores: 2, stock: 3, products: 2 }
const briskStatements = (operation: keyof typeof PER_RUN, rows: number) => Math.ceil(rows / CHUNK) * PER_CHUNK[operation] + PER_RUN[operation]

type Printed = Summary & { scenario: string; database: string }

async function runJson(options: Record<string, string>): Promise<Printed> {
  const stdout: string[] = []
  mock.method(console, 'log', (...args: unknown[]) => stdout.push(args.join(' ')))
  mock.method(process.stderr, 'write', () => true)
  try {
    await bulkScenario.run(config, { size: String(SIZE), chunk: String(CHUNK), tills: '2', idle: '0.2', ...options, ...benchDb.where(), json: true })
  } finally {
    mock.restoreAll()
  }
  assert.equal(stdout.length, 1, 'stdout is one JSON document')
  return JSON.parse(stdout[0]!) as Printed
}


/** What holds for every operation: rows, statements, tills, the floor only where it can run. */
async function assertInvariants(printed: Printed, operation: string): Promise<void> {
  const variants = printed.results.map((r) => r.variant)
  const expected = ['naive', ...(importKinds[operation as keyof typeof importKinds] ? ['brisk'] : []), ...(benchDb.onPglite() ? [] : ['floor'])]
  assert.deepEqual(variants, expected)
  if (benchDb.onPglite()) assert.ok(printed.notRun.includes(FLOOR_ON_PGLITE))
  assert.deepEqual(printed.checks, { rowsOff: [], tillErrors: 0 })
  for (const r of printed.results) {
    assert.equal(r.rows, SIZE, `${r.variant} landed every row`)
    assert.ok(r.tills && r.tills.errors === 0, `${r.variant}: the tills sold without errors`)
    assert.ok(r.peakRssMb > 0)
  }
  const naive = printed.results.find((r) => r.variant === 'naive')!
  assert.ok(naive.statements >= SIZE, `naive: ${naive.statements} statements for ${SIZE} rows`)
  const floor = printed.results.find((r) => r.variant === 'floor')
  if (floor) assert.ok(floor.statements <= 4, `floor: ${floor.statements} statements`)
  assert.ok(printed.idle && printed.idle.sales > 0 && printed.idle.errors === 0, 'the tills sold alone first')
  assert.equal(await benchDb.scratchLeft(printed.database), false)
}

function assertBrisk(printed: Printed, operation: keyof typeof PER_RUN): void {
  const brisk = printed.results.find((r) => r.variant === 'brisk')!
  assert.equal(brisk.chunks, SIZE / CHUNK)
  assert.equal(brisk.rejected, 0)
  assert.equal(brisk.statements, briskStatements(operation, SIZE))
  // the batch log counts from its own row on: a stock count's location is read before it
  assert.equal(brisk.statements - brisk.loggedStatements!, PER_RUN[operation] - PER_RUN.views, 'the batch log counts what was sent once it opened')
  assert.ok(printed.briskPercentOfFloor === null || printed.briskPercentOfFloor > 0)
}

describe('brisk bench bulk', () => {
  beforeEach(() => {
    process.exitCode = undefined
  })
  afterEach(() => mock.restoreAll())

  test("views: every variant lands every row, brisk in ⌈N/chunk⌉ + 2 statements, seed 003's 100 views in 3", async () => {
    const printed = await runJson({ operation: 'views' })
    await assertInvariants(printed, 'views')
    assertBrisk(printed, 'views')
    const seed = printed.seed003!
    assert.deepEqual([seed.rows, seed.seedStatements, seed.maxStatements], [100, 7, 3])
    // one chunk of the default size: the log opened with the run, the chunk, the log finished
    assert.deepEqual([seed.statements, seed.met], [3, true])
  })

  test('scores: the same invariants; 50 scores (one chunk) in 1 + 2 statements', async () => {
    const printed = await runJson({ operation: 'scores' })
    await assertInvariants(printed, 'scores')
    assertBrisk(printed, 'scores')
    assert.equal(printed.seed003!.statements, 3)
  })

  test('stock counts: every count lands one ledger row, in every variant; brisk in ⌈N/chunk⌉ + 3', async () => {
    const printed = await runJson({ operation: 'stock' })
    await assertInvariants(printed, 'stock')
    assertBrisk(printed, 'stock')
    assert.equal(printed.seed003, null)
  })

  test('products with 3 units each: every variant lands every product (brisk once the products kind is registered)', async () => {
    const printed = await runJson({ operation: 'products' })
    await assertInvariants(printed, 'products')
    if (printed.results.some((r) => r.variant === 'brisk')) assertBrisk(printed, 'products')
    else assert.ok(printed.notRun.some((n) => n.includes('no "products" kind')))
  })

  test('bad options are refused before anything runs', async () => {
    await assert.rejects(bulkScenario.run(config, { size: '0' }), /--size must be a whole number/)
    await assert.rejects(bulkScenario.run(config, { operation: 'orders' }), /brisk bench batch-orders/)
    await assert.rejects(bulkScenario.run(config, { operation: 'refunds' }), /--operation must be views, scores, products, stock/)
    await assert.rejects(bulkScenario.run(config, { variants: 'naive,fast' }), /--variants: unknown fast/)
  })
})
