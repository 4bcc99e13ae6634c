import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import pg from 'pg'
import { buildApp, createServices } from '../app.ts'
import { loadConfig } from '../config/config.ts'
import { connectPostgres } from '../infra/db/connect.ts'
import type { Db } from '../infra/db/database.ts'
import { describeEachDatabase, templateDatabase, testDatabaseUrl } from '../../test/db.ts'
import { countQueries } from '../../test/expect-queries.ts'
import { addStock, createProduct, stockOf } from '../../test/factories.ts'
import { type SeedReport, seedDemoShop } from './seed-demo.ts'

async function countRows(db: Db) {
  const count = async (table: 'product' | 'category' | 'unit' | 'product_unit' | 'location' | 'stock_ledger' | 'api_token') =>
    Number((await db.primary.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)
  return {
    products: await count('product'),
    categories: await count('category'),
    units: await count('unit'),
    productUnits: await count('product_unit'),
    locations: await count('location'),
    ledger: await count('stock_ledger'),
    tokens: await count('api_token'),
  }
}

async function stockByLocation(db: Db): Promise<Record<string, string>> {
  const rows = await db.primary
    .selectFrom('stock_level as s')
    .innerJoin('location as l', 'l.id', 's.location_id')
    .select((eb) => ['l.code', eb.fn.sum<string>('s.quantity').as('total')])
    .groupBy('l.code')
    .execute()
  return Object.fromEntries(rows.map((r) => [r.code, String(Number(r.total))]))
}

const SEEDED = { products: 240, categories: 8, units: 4, productUnits: 180, locations: 2, ledger: 480, tokens: 2 }
const SEEDED_STOCK = { MAIN: '8524', WH1: '42620' }

const seed = (db: Db, onlyIfEmpty: boolean) => seedDemoShop(db, createServices(db), { onlyIfEmpty })

describeEachDatabase('demo seed', (ctx) => {
  test('seeds the demo shop in a fixed number of statements, and only into an empty database', async () => {
    const { result: report, count } = await countQueries(() => seed(ctx.db, true))
    assert.equal(report.seeded, true)
    assert.ok(count <= 18, `the seed sent ${count} statements`)
    assert.deepEqual(await countRows(ctx.db), SEEDED)
    assert.deepEqual(await stockByLocation(ctx.db), SEEDED_STOCK)
    const main = await ctx.db.primary.selectFrom('location').select('id').where('code', '=', 'MAIN').executeTakeFirstOrThrow()
    const cola = await ctx.db.primary
      .selectFrom('product')
      .select(['id', 'price'])
      .where('sku', '=', 'SOF-0001')
      .executeTakeFirstOrThrow()
    assert.equal(cola.price, '0.90')
    assert.equal(Number(await stockOf(ctx.db, main.id, cola.id)), 24)

    const access = createServices(ctx.db).access
    assert.equal((await access.authenticate(report.adminToken!))?.role, 'admin')
    assert.deepEqual((await access.authenticate(report.cashierToken!))?.locationIds, [main.id])

    const again = await seed(ctx.db, true)
    assert.deepEqual(again, { seeded: false, products: 0, categories: 0, locations: 0 })
    assert.deepEqual(await countRows(ctx.db), SEEDED)
  })

  test('seeding again by force leaves the shop as one seed does, correcting stock rather than adding it', async () => {
    await seed(ctx.db, true)
    const main = await ctx.db.primary.selectFrom('location').select('id').where('code', '=', 'MAIN').executeTakeFirstOrThrow()
    const cola = await ctx.db.primary.selectFrom('product').select('id').where('sku', '=', 'SOF-0001').executeTakeFirstOrThrow()
    await addStock(ctx.db, main.id, [{ productId: cola.id, quantity: '5' }])

    const report = await seed(ctx.db, false)
    assert.equal(report.seeded, true)
    assert.deepEqual(await countRows(ctx.db), { ...SEEDED, ledger: SEEDED.ledger + 2, tokens: 4 }, 'one row in, one correction')
    assert.deepEqual(await stockByLocation(ctx.db), SEEDED_STOCK)
    assert.equal(Number(await stockOf(ctx.db, main.id, cola.id)), 24)
  })

  test('a seed that fails part way writes nothing', async () => {
    // Takes the barcode of the first demo product, so the seed's product upsert fails after units and categories.
    await createProduct(ctx.db, { sku: 'MINE-1' })
    await ctx.db.primary.updateTable('product').set({ barcode: '200000000001' }).where('sku', '=', 'MINE-1').execute()
    await assert.rejects(seed(ctx.db, false), /product_barcode_unique/)
    assert.deepEqual(await countRows(ctx.db), {
      ...SEEDED,
      ...{ products: 1, categories: 0, units: 1, productUnits: 0, locations: 0, ledger: 0, tokens: 0 },
    })
  })

  test('two seeds at once on one database seed once', async () => {
    const reports = await Promise.all([seed(ctx.db, true), seed(ctx.db, true)])
    assert.deepEqual(reports.map((r) => r.seeded).sort(), [false, true])
    assert.deepEqual(await countRows(ctx.db), SEEDED)
    assert.deepEqual(await stockByLocation(ctx.db), SEEDED_STOCK)
  })
})

const needsPostgres = { skip: !testDatabaseUrl && 'needs BRISK_TEST_DATABASE_URL' }

test('two first starts on one empty PostgreSQL database migrate and seed it once', needsPostgres, async () => {
  // Named after the run's template so that the test runner drops it if this file dies first.
  const name = `${templateDatabase ?? 'brisk_test'}_seed_race_${randomBytes(4).toString('hex')}`
  const url = new URL(testDatabaseUrl!)
  url.pathname = `/${name}`
  const server = new pg.Client({ connectionString: testDatabaseUrl })
  await server.connect()
  await server.query(`create database ${name}`)
  try {
    const start = async (): Promise<SeedReport> => {
      const app = await buildApp(loadConfig({}, { logLevel: 'silent', databaseUrl: url.toString() }))
      try {
        return await seedDemoShop(app.db, app.services, { onlyIfEmpty: true })
      } finally {
        await app.close()
      }
    }
    const reports = await Promise.all([start(), start()])
    assert.deepEqual(reports.map((r) => r.seeded).sort(), [false, true])
    const db = connectPostgres({ url: url.toString(), poolSize: 1, statementTimeoutMs: 10_000 })
    try {
      assert.deepEqual(await countRows(db), SEEDED)
      assert.deepEqual(await stockByLocation(db), SEEDED_STOCK)
    } finally {
      await db.close()
    }
  } finally {
    await server.query(`drop database if exists ${name} with (force)`)
    await server.end()
  }
})
