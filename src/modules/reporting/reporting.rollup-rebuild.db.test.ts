import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { sql } from 'kysely'
import { type DbContext, describeEachDatabase } from '../../../test/db.ts'
import { addStock, createLocation, createProducts, createToken } from '../../../test/factories.ts'
import type { Db } from '../../infra/db/database.ts'
import { splitSqlStatements } from '../../infra/db/migration-lint/sql-source.ts'
import { MIGRATIONS_DIR } from '../../infra/db/migrations.ts'
import { Big } from '../../infra/decimal.ts'
import { createSalesService } from '../sales/index.ts'
import { applySalesRollups } from './reporting.repository.ts'
import { createReportingService } from './reporting.service.ts'
import { deleteRollups, expectedHours, placeSaleAt, returnsOf, rollupDeltaOf, soldInvoices } from './reporting.test-support.ts'

const MIGRATION = path.join(MIGRATIONS_DIR, '0005_sales_rollups_by_quarter_hour.sql')
const isRebuild = (text: string) => text.startsWith('do ')

/** Runs the migration's statements (those `pick` keeps) on one connection, as the runner does. */
async function runMigration(db: Db, pick: (text: string) => boolean = () => true): Promise<void> {
  const statements = await splitSqlStatements(fs.readFileSync(MIGRATION, 'utf8'))
  await db.primary.connection().execute(async (conn) => {
    for (const { text } of statements) if (pick(text)) await sql.raw(text).execute(conn)
    await sql`reset lock_timeout`.execute(conn)
  })
}

/** Rollup rows of both tables by key ("<bucket> <shard>", "<bucket> <product>"), figures as plain decimals. */
interface Rollups {
  shards: Map<string, string[]>
  products: Map<string, string[]>
}

const HOUR = 3_600_000
const QUARTER = 15 * 60_000
const floorTo = (instant: Date, step: number) => new Date(Math.floor(instant.getTime() / step) * step)
const noRollups = (): Rollups => ({ shards: new Map(), products: new Map() })

async function readRollups(db: Db, locationId: number): Promise<Rollups> {
  const { rows: shards } = await sql<{ bucket: Date; key: string; figures: string[] }>`
    select bucket, shard::text as key, array[invoices::text, returns::text, net_amount::text, tax_amount::text,
      total_amount::text, discount_amount::text] as figures
    from sales_rollup_hour where location_id = ${locationId}`.execute(db.primary)
  const { rows: products } = await sql<{ bucket: Date; key: string; figures: string[] }>`
    select bucket, product_id::text as key,
      array[quantity::text, net_amount::text, tax_amount::text, total_amount::text] as figures
    from sales_rollup_product_hour where location_id = ${locationId}`.execute(db.primary)
  const byKey = (rows: typeof shards) =>
    new Map(rows.map((r) => [`${r.bucket.toISOString()} ${r.key}`, r.figures.map((f) => new Big(f).toFixed())]))
  return { shards: byKey(shards), products: byKey(products) }
}

/** Adds (or with `sign` -1 subtracts) `rows` into `into`, each row moved to `bucket`. */
function addAt(into: Map<string, string[]>, rows: Map<string, string[]>, bucket: string, sign = 1): void {
  for (const [key, figures] of rows) {
    const target = `${bucket} ${key.split(' ')[1]}`
    const sum = into.get(target) ?? figures.map(() => '0')
    into.set(
      target,
      sum.map((s, i) => new Big(s).plus(new Big(figures[i]!).times(sign)).toFixed()),
    )
  }
}

const nonZero = (rows: Map<string, string[]>) =>
  [...rows].filter(([, figures]) => figures.some((f) => !new Big(f).eq(0))).sort(([a], [b]) => a.localeCompare(b))

/** Writes rollup rows as given (the state an earlier release left). */
async function insertRollups(db: Db, locationId: number, rollups: Rollups): Promise<void> {
  const split = (rows: Map<string, string[]>) => [...rows].map(([key, figures]) => ({ key: key.split(' '), figures }))
  const shards = split(rollups.shards).map(({ key: [bucket, shard], figures }) => {
    const [invoices, returns, net, tax, total, discount] = figures
    return {
      location_id: locationId,
      bucket: new Date(bucket!),
      shard: Number(shard),
      invoices: Number(invoices),
      returns: Number(returns),
      net_amount: net!,
      tax_amount: tax!,
      total_amount: total!,
      discount_amount: discount!,
    }
  })
  const products = split(rollups.products).map(({ key: [bucket, product], figures: [quantity, net, tax, total] }) => ({
    location_id: locationId,
    bucket: new Date(bucket!),
    product_id: Number(product),
    quantity: quantity!,
    net_amount: net!,
    tax_amount: tax!,
    total_amount: total!,
  }))
  await db.primary.insertInto('sales_rollup_hour').values(shards).execute()
  await db.primary.insertInto('sales_rollup_product_hour').values(products).execute()
}

async function openShop(db: Db, products: number) {
  const location = await createLocation(db)
  const sold = await createProducts(db, products, { price: '2.35', taxRate: '7' })
  await addStock(
    db,
    location.id,
    sold.map((p) => ({ productId: p.id, quantity: '1000' })),
  )
  const { principal } = await createToken(db, 'manager')
  return { location, products: sold, principal, sales: createSalesService(db) }
}

/**
 * Sales with line and invoice discounts across a UTC midnight and at quarter-hour edges, a cancel and
 * two returns, made by the code now. What each write added to the rollups is then moved to the time
 * it is said to have happened: summed by UTC hour as the previous release wrote it, and by quarter hour.
 */
async function salesOfAnotherTime({ db }: DbContext) {
  const { location, products, principal, sales } = await openShop(db, 4)
  const soldAt = [
    ...['05-01T23:50', '05-02T00:05', '05-02T00:20', '05-02T00:44:59.999'],
    ...['05-02T00:45', '05-02T10:31', '05-02T10:59:59'],
  ]
  const returnedAt = ['05-02T10:40', '05-03T06:16'].map((at) => new Date(`2026-${at}Z`))
  const byHour = noRollups()
  const byQuarter = noRollups()
  const record = async <T>(at: Date, write: () => Promise<T>): Promise<T> => {
    const before = await readRollups(db, location.id)
    const result = await write()
    const after = await readRollups(db, location.id)
    for (const table of ['shards', 'products'] as const) {
      const change = new Map<string, string[]>()
      addAt(change, after[table], 'any')
      addAt(change, before[table], 'any', -1)
      addAt(byHour[table], change, floorTo(at, HOUR).toISOString())
      addAt(byQuarter[table], change, floorTo(at, QUARTER).toISOString())
    }
    return result
  }
  const invoices = []
  for (const [n, at] of soldAt.map((at) => new Date(`2026-${at}Z`)).entries()) {
    const sale = () =>
      sales.createInvoice(principal, {
        locationId: location.id,
        lines: [
          { productId: products[n % 4]!.id, quantity: `${n + 1}.5`, discountPercent: n },
          { productId: products[(n + 1) % 4]!.id, quantity: 1, ...(n % 3 === 0 ? { discountAmount: '0.10' } : {}) },
        ],
        ...(n % 2 ? { discountAmount: '0.07' } : { discountPercent: 5 }),
        payments: [{ method: 'cash', amount: 100 }],
        submit: true,
      })
    const { body } = await record(at, sale)
    await sql`update sales_invoice set submitted_at = ${at} where id = ${body.id}`.execute(db.primary)
    invoices.push({ ...body, at })
  }
  const [, , third, fourth, , , seventh] = invoices
  // a cancel takes the sale from the buckets of its time
  await record(third!.at, () => sales.cancelInvoice(principal, third!.id))
  const returned = [
    { invoice: fourth!, lines: fourth!.lines.map((l) => ({ lineId: l.id, quantity: '0.5' })) },
    { invoice: seventh!, lines: [{ lineId: seventh!.lines[0]!.id, quantity: 1 }] },
  ]
  for (const [n, { invoice, lines }] of returned.entries()) {
    const { body } = await record(returnedAt[n]!, () => sales.returnItems(principal, invoice.id, { lines }))
    await sql`update sales_return set created_at = ${returnedAt[n]} where id = ${body.return.id}`.execute(db.primary)
  }
  await deleteRollups(db, location.id)
  return { location, principal, byHour, byQuarter }
}

/**
 * 0005 upserts on the rollups' keys of its time, (location, bucket, shard) and (location, bucket, product), which 0012
 * replaced by keys with the channel. Through 0011 both keys stand (0011 is what servers of both releases run on), so
 * 0005 runs as written and the sales of this release, with which the tests make the data, write their rows too.
 */
const BEFORE_CHANNEL_KEYS = { migratedThrough: '0011_sales_rollup_channel_keys.sql' }

describeEachDatabase('reporting: migration 0005 rebuilds the rollups by quarter hour', (ctx) => {
  test('hour rows become the quarter hours of their sales, cancels and returns; a second run changes nothing', async () => {
    const { location, principal, byHour, byQuarter } = await salesOfAnotherTime(ctx)
    await insertRollups(ctx.db, location.id, byHour)
    const reporting = createReportingService(ctx.db)
    const kathmandu = { locationId: location.id, date: '2026-05-02', timeZone: 'Asia/Kathmandu' }
    const [invoices, returns] = [await soldInvoices(ctx.db, location.id), await returnsOf(ctx.db, location.id)]
    const expected = expectedHours(invoices, returns, kathmandu.date, kathmandu.timeZone)
    const hourly = async () => {
      const { hours } = await reporting.salesByHour(principal, kathmandu)
      for (const { byChannel, hour, hourUtc: _, ...figures } of hours) {
        assert.deepEqual([byChannel.pos, byChannel.online.invoices + byChannel.online.returns], [figures, 0], hour)
      }
      return hours.map(({ discountAmount: _, byChannel: __, ...figures }) => figures)
    }
    assert.notDeepEqual(await hourly(), expected, 'rows by UTC hour put sales in other Kathmandu hours')

    await runMigration(ctx.db)
    const rebuilt = await readRollups(ctx.db, location.id)
    const { rows: channels } = await sql<{ channel: string }>`
      select distinct channel from sales_rollup_hour union select distinct channel from sales_rollup_product_hour`.execute(
      ctx.db.primary,
    )
    assert.deepEqual(channels, [{ channel: 'pos' }], 'the till sales of that release count as such')
    assert.deepEqual(nonZero(rebuilt.shards), nonZero(byQuarter.shards))
    assert.deepEqual(nonZero(rebuilt.products), nonZero(byQuarter.products))
    assert.ok(nonZero(byQuarter.shards).length >= 8)
    assert.deepEqual(await hourly(), expected)
    assert.equal(expected.reduce((n, h) => n + h.returns, 0), 1)

    await runMigration(ctx.db)
    assert.deepEqual(await readRollups(ctx.db, location.id), rebuilt)
    const { rows: indexes } = await sql<{ name: string }>`
      select indexname as name from pg_indexes where indexname like '%rollup_rebuild%'`.execute(ctx.db.primary)
    assert.deepEqual(indexes, [], 'the indexes of the rebuild are dropped after it')
  })

  const onPglite = ctx.kind === 'pglite' && 'PGlite has one connection: nothing runs beside the rebuild'
  test('a cancel by the previous release that commits while the rebuild waits keeps its change', { skip: onPglite }, async () => {
    const { location, products, principal, sales } = await openShop(ctx.db, 1)
    const soldAt = ['09:05', '09:20', '09:50', '10:35'].map((at) => new Date(`2026-06-01T${at}:00Z`))
    const ids: { id: number; at: Date }[] = []
    for (const [n, at] of soldAt.entries()) {
      const { body } = await sales.createInvoice(principal, {
        locationId: location.id,
        lines: [{ productId: products[0]!.id, quantity: n + 1 }],
        payments: [{ method: 'cash', amount: 100 }],
        submit: true,
      })
      ids.push({ id: body.id, at })
    }
    await deleteRollups(ctx.db, location.id)
    for (const { id, at } of ids) await placeSaleAt(ctx.db, id, at, floorTo(at, HOUR))
    await runMigration(ctx.db, (text) => !isRebuild(text) && !text.startsWith('drop '))

    // the previous release cancels the 09:50 sale, taking it from its 09:00 rows, and commits once the rebuild waits for them
    let release!: () => void
    let written!: () => void
    const cancelWritten = new Promise<void>((resolve) => {
      written = resolve
    })
    const cancel = ctx.db.primary.transaction().execute(async (trx) => {
      await sql`update sales_invoice set status = 'cancelled', cancelled_at = now() where id = ${ids[2]!.id}`.execute(trx)
      await applySalesRollups(trx, await rollupDeltaOf(trx, ids[2]!.id, floorTo(ids[2]!.at, HOUR), -1))
      written()
      await new Promise<void>((resolve) => {
        release = resolve
        setTimeout(resolve, 5000).unref()
      })
    })
    await cancelWritten
    const rebuild = runMigration(ctx.db, isRebuild)
    const waiting = async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query like 'do $$%'`.execute(ctx.db.primary)
      return rows[0]!.n > 0
    }
    for (let tries = 0; !(await waiting()); tries++) {
      assert.ok(tries < 150, 'the rebuild waits for the rows the cancel holds')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    release()
    await cancel
    await rebuild
    await runMigration(ctx.db, (text) => text.startsWith('drop '))

    // each UTC hour holds what its submitted invoices say: the rebuild did not undo the cancel
    const { rows: hours } = await sql<{ hour: Date; invoices: string; total: string }>`
      select date_trunc('hour', bucket, 'UTC') as hour, sum(invoices)::text as invoices, sum(total_amount)::text as total
      from sales_rollup_hour where location_id = ${location.id} group by 1 order by 1`.execute(ctx.db.primary)
    const { rows: expected } = await sql<{ hour: Date; invoices: string; total: string }>`
      select date_trunc('hour', submitted_at, 'UTC') as hour, count(*)::text as invoices, sum(total)::text as total
      from sales_invoice where location_id = ${location.id} and status = 'submitted'
      group by 1 order by 1`.execute(ctx.db.primary)
    assert.deepEqual(hours, expected)
    assert.deepEqual(
      hours.map((h) => h.invoices),
      ['2', '1'],
    )
    // the sales went to their quarter hours; the old release's cancel took the 09:50 sale from the hour's first quarter
    const { rows: quarters } = await sql<{ bucket: Date; invoices: string }>`
      select bucket, sum(invoices)::text as invoices from sales_rollup_hour where location_id = ${location.id}
      group by bucket order by bucket`.execute(ctx.db.primary)
    assert.deepEqual(
      quarters.map((q) => [q.bucket.toISOString().slice(11, 16), q.invoices]),
      [
        ['09:00', '0'],
        ['09:15', '1'],
        ['09:45', '1'],
        ['10:00', '0'],
        ['10:30', '1'],
      ],
    )
  })
}, BEFORE_CHANNEL_KEYS)
