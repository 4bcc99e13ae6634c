/**
 * `brisk bench` never writes into the configured database: it runs in a scratch one it creates and
 * removes, on success, on failure and on Ctrl+C; --database is the one way to run elsewhere.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, afterEach, before, beforeEach, describe, mock, test } from 'node:test'
import { sql } from 'kysely'
import pg from 'pg'
import { templateDatabase, testDatabaseUrl } from '../../test/db.ts'
import { type Config, loadConfig } from '../config/config.ts'
import { connectPglite, connectPostgres } from '../infra/db/connect.ts'
import type { Db } from '../infra/db/database.ts'
import { migrate } from '../infra/db/migrations.ts'
import { invoiceSubmitScenario, type VariantResult } from './invoice-submit/index.ts'
import { interruptRun } from './bench.test-support.ts'
import { runBenchSession } from './session.ts'

const SHORT_RUN = { lines: '3', duration: '0.5', warmup: '0', rounds: '1', products: '10', variants: 'brisk,floor' }

/** The user's own shop, as the configuration names it. */
interface Shop {
  config: Config
  /** --database naming this very shop */
  address: string
  open(): Promise<Db>
  /** whether the scratch database `text` names (a run's output) still exists */
  scratchExists(text: string): Promise<boolean>
  remove(): Promise<void>
}

async function fillShop(db: Db): Promise<void> {
  await migrate(db.primary)
  await db.primary.insertInto('unit').values({ code: 'each', name: 'each' }).execute()
  await db.primary.insertInto('location').values({ code: 'SHOP', name: 'The shop', allow_negative_stock: false }).execute()
  await db.primary
    .insertInto('product')
    .values([1, 2, 3].map((i) => ({ sku: `SHOP-${i}`, name: `Product ${i}`, base_unit: 'each', price: '2.50', tax_rate: '7' })))
    .execute()
}

async function pgliteShop(): Promise<Shop> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'brisk-test-shop-'))
  const db = await connectPglite(folder)
  await fillShop(db)
  await db.close()
  return {
    config: loadConfig({ BRISK_DATA_DIR: folder }),
    address: folder,
    open: () => connectPglite(folder),
    scratchExists: async (text) => {
      const scratch = /(\S*brisk-bench-[A-Za-z0-9]{6})\b/.exec(text)?.[1]
      assert.ok(scratch?.startsWith(os.tmpdir()), `names no scratch folder: ${text}`)
      return fs.existsSync(scratch!)
    },
    remove: async () => fs.rmSync(folder, { recursive: true, force: true }),
  }
}

async function onServer<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

async function postgresShop(): Promise<Shop> {
  // named after the run's template, so that run-tests.mjs drops it if this file dies
  const name = `${templateDatabase ?? 'brisk_test'}_${process.pid}_${randomBytes(4).toString('hex')}`
  const url = new URL(testDatabaseUrl!)
  url.pathname = `/${name}`
  await onServer((client) => client.query(`create database ${name}`))
  const open = async () => connectPostgres({ url: url.toString(), poolSize: 2, statementTimeoutMs: 30_000 })
  const db = await open()
  await fillShop(db)
  await db.close()
  return {
    config: loadConfig({ BRISK_DATABASE_URL: url.toString() }),
    address: url.toString(),
    open,
    scratchExists: async (text) => {
      const scratch = /\b(brisk_bench_[0-9a-f]{8})\b/.exec(text)?.[1]
      assert.ok(scratch, `names no scratch database: ${text}`)
      const { rows } = await onServer((client) => client.query('select 1 from pg_database where datname = $1', [scratch]))
      return rows.length > 0
    },
    remove: () => onServer((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => {}),
  }
}

/** Rows in every table of the shop, migration history included. */
async function rowCounts(shop: Shop): Promise<Record<string, number>> {
  const db = await shop.open()
  try {
    const { rows: tables } = await sql<{ name: string }>`
      select relname as name from pg_class
      where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') order by relname`.execute(db.primary)
    const counts: Record<string, number> = {}
    for (const { name } of tables) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(name)}`.execute(db.primary)
      counts[name] = rows[0]!.n
    }
    return counts
  } finally {
    await db.close()
  }
}

/** What a run printed: stdout through console.log, stderr (progress, notes) as written. */
function captureOutput() {
  const stdout: string[] = []
  const stderr: string[] = []
  mock.method(console, 'log', (...args: unknown[]) => stdout.push(args.join(' ')))
  mock.method(process.stderr, 'write', (chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0)
  return { stdout, stderr, progress: () => stderr.join('') }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const kinds: ['pglite' | 'postgres', () => Promise<Shop>][] = [['pglite', pgliteShop]]
if (testDatabaseUrl) kinds.push(['postgres', postgresShop])

for (const [kind, createShop] of kinds) {
  describe(`brisk bench and the configured database [${kind}]`, () => {
    let shop: Shop
    let shopRows: Record<string, number>
    let output: ReturnType<typeof captureOutput>

    before(async () => {
      shop = await createShop()
      shopRows = await rowCounts(shop)
    })
    after(() => shop?.remove())
    beforeEach(() => {
      output = captureOutput()
    })
    afterEach(() => mock.restoreAll())

    test('a run leaves every table of the shop as it was, and removes its scratch database', async () => {
      assert.ok(shopRows['product']! > 0 && shopRows['brisk_migration']! > 0)
      await invoiceSubmitScenario.run(shop.config, { ...SHORT_RUN, json: true })
      mock.restoreAll()
      assert.equal(output.stdout.length, 1, 'stdout is one JSON document')
      const printed = JSON.parse(output.stdout[0]!) as { database: string; results: Record<string, { submits: number }> }
      assert.ok(printed.results['brisk']!.submits > 0 && printed.results['floor']!.submits > 0)
      assert.equal(await shop.scratchExists(printed.database), false)
      assert.deepEqual(await rowCounts(shop), shopRows)
      const phases = ['creating', 'migrating', 'setting up', 'warming up', 'measuring 1 round\\(s\\)', '(dropping|removing) the scratch']
      for (const phase of phases) {
        assert.match(output.progress(), new RegExp(`invoice-submit · [\\d.]+ s · ${phase}`))
      }
    })

    test('a run that fails removes its scratch database too', async () => {
      let description = ''
      const session = { scenario: 'failing', database: undefined, connections: 2 }
      const failing = runBenchSession(shop.config, session, async ({ db }) => {
        description = db.description
        await db.primary.insertInto('unit').values({ code: 'box', name: 'box' }).execute()
        throw new Error('the scenario failed')
      })
      await assert.rejects(failing, /the scenario failed/)
      mock.restoreAll()
      assert.equal(await shop.scratchExists(description), false)
      assert.deepEqual(await rowCounts(shop), shopRows)
    })

    test('Ctrl+C stops the measuring, removes the scratch database, prints no figures and exits 130', async () => {
      const listening = process.listeners('SIGINT')
      const started = performance.now()
      const running = invoiceSubmitScenario.run(shop.config, { ...SHORT_RUN, duration: '120' })
      await until(() => output.progress().includes('measuring'), 60_000)
      assert.equal(await interruptRun(running, listening), 130)
      mock.restoreAll()
      assert.ok(performance.now() - started < 60_000, 'stopped long before the 120 s it was asked to measure')
      assert.deepEqual(output.stdout, [])
      assert.match(output.progress(), /interrupted, no figures; the scratch (database|folder) \S+ .*is removed/)
      assert.equal(await shop.scratchExists(output.progress()), false)
      assert.deepEqual(process.listeners('SIGINT'), listening)
      assert.deepEqual(await rowCounts(shop), shopRows)
    })

    test('--database runs in the database it names, and writes there (here with brisk through HTTP)', async () => {
      await invoiceSubmitScenario.run(shop.config, { ...SHORT_RUN, json: true, http: true, database: shop.address })
      mock.restoreAll()
      const printed = JSON.parse(output.stdout[0]!) as { database: string; results: Record<string, VariantResult> }
      assert.doesNotMatch(printed.database, /brisk_bench_|brisk-bench-/)
      // read from each response's Server-Timing header
      assert.ok(printed.results['brisk']!.statementsPerSubmit >= 1 && printed.results['brisk']!.dbMsPerSubmit > 0)
      const rows = await rowCounts(shop)
      assert.equal(rows['location'], shopRows['location']! + 1)
      assert.equal(rows['product'], shopRows['product']! + 10)
      shopRows = rows
    })
  })
}
