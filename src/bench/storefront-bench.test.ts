/**
 * `brisk bench storefront` with tiny settings: the shape of its JSON and what does not depend on
 * the machine's speed — every cached page is the bytes of a full render for the same visitor (the
 * floor's bytes), comes from the cache and sends no statement, and its holes hold the visitor's
 * name and cart count; the uncached pages do read the database — and that it leaves no scratch
 * database or child process behind. No timing is asserted.
 */
import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { testDatabaseUrl } from '../../test/db.ts'
import { loadConfig } from '../config/config.ts'
import { childrenOf } from './children.ts'
import { type PageChecks, type Results, storefrontScenario } from './storefront/index.ts'
import { useBenchDatabase } from './bench.test-support.ts'

const benchDb = useBenchDatabase('bench-storefront')

const config = loadConfig(testDatabaseUrl ? { BRISK_DATABASE_URL: testDatabaseUrl } : {})


test('storefront bench: cached pages are the full render’s bytes, from the cache, with 0 statements; uncached ones read the database', async () => {
  const childrenBefore = childrenOf(process.pid)
  const stdout: string[] = []
  mock.method(console, 'log', (...args: unknown[]) => stdout.push(args.join(' ')))
  mock.method(process.stderr, 'write', () => true)
  try {
    const where = benchDb.where()
    await storefrontScenario.run(config, { ...where, duration: '0.3', warmup: '0', rounds: '1', clients: '2', products: '6', json: true })
  } finally {
    mock.restoreAll()
  }
  assert.equal(stdout.length, 1, 'stdout is one JSON document')
  const printed = JSON.parse(stdout[0]!) as {
    scenario: string
    database: string
    pages: { product: number; category: number; averageBytes: number }
    results: Results
    checks: PageChecks
    targets: { target: string; value: string; met: boolean }[]
    machine: { cores: number; loadAverage: number }
  }
  assert.equal(printed.scenario, 'storefront')
  assert.equal(printed.pages.product, 6)
  assert.ok(printed.pages.category > 0 && printed.pages.averageBytes > 1000)
  assert.deepEqual(Object.keys(printed.results).sort(), ['cached', 'floor', 'hooks', 'off'])
  for (const [variant, r] of Object.entries(printed.results)) {
    assert.ok(r.requests > 0 && r.requestsPerSecond > 0 && r.p99Ms >= r.p50Ms, `${variant}: ${JSON.stringify(r)}`)
    assert.equal(r.errors, 0, variant)
    assert.ok(r.byPage.product.requests > 0 && r.byPage.category.requests > 0, variant)
  }
  const { cached, off, floor, hooks } = printed.results
  const pages = printed.pages.product + printed.pages.category
  assert.deepEqual(printed.checks, { pages, identical: pages, warmStatements: 0, warmHits: pages, holesFilled: pages })
  assert.equal(cached!.statementsPerPage, 0, 'shell and hole data cached')
  assert.equal(cached!.byPage.product.statementsPerPage, 0)
  assert.equal(cached!.byPage.category.statementsPerPage, 0)
  assert.ok(off!.statementsPerPage >= 1, `every page rendered reads the database: ${off!.statementsPerPage}`)
  assert.equal(floor!.statementsPerPage, 0)
  assert.equal(hooks!.statementsPerPage, 0)
  assert.equal(floor!.percentOfFloor, 100)
  const met = (words: string) => printed.targets.find((t) => t.target.includes(words))?.met
  assert.equal(met('bytes of a full render'), true)
  assert.equal(met('0 statements per page'), true)
  for (const words of ['p50', 'p99', '20×', '60 %']) assert.equal(typeof met(words), 'boolean', words)
  assert.equal(await benchDb.scratchLeft(printed.database), false)
  assert.deepEqual(childrenOf(process.pid), childrenBefore, 'the load client is gone')
})
