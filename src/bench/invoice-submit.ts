/**
 * `brisk bench invoice-submit`: one POS sale of N lines (invoice, lines, payment, stock decrements,
 * ledger rows, rollups) three ways on the configured database:
 * - brisk: the sales service (or, with --http, the HTTP API);
 * - naive: the same work a statement per line, read-modify-write, the way seed 000 started;
 * - floor: one hand-written statement doing the same writes — the physical limit here.
 */
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { buildApp } from '../app.ts'
import type { Config } from '../config/config.ts'
import { connectPglite, connectPostgres } from '../infra/db/connect.ts'
import type { Db } from '../infra/db/database.ts'
import { migrate } from '../infra/db/migrations.ts'
import { pgArray } from '../infra/db/pg-array.ts'
import { newQueryStats, runWithQueryStats } from '../infra/db/query-stats.ts'
import { Big, decimalString, money } from '../infra/decimal.ts'
import { createAccessService, SYSTEM_PRINCIPAL } from '../modules/access/index.ts'
import { moveStockOrFail } from '../modules/inventory/index.ts'
import { SALES_ROLLUP_SHARDS } from '../modules/reporting/index.ts'
import { createSalesService, priceInvoice } from '../modules/sales/index.ts'
import { type BenchScenario, percentile, renderTable } from './scenario.ts'

type Variant = 'brisk' | 'naive' | 'floor'
const VARIANTS: readonly Variant[] = ['brisk', 'naive', 'floor']
const TEMPLATES = 64
const STOCK_PER_PRODUCT = '1000000000'
const CASH_TENDERED = '1000000.00'

interface Options {
  lines: number
  clients: number
  durationMs: number
  warmupMs: number
  products: number
  flow: 'checkout' | 'draft'
  http: boolean
  variants: Variant[]
  rounds: number
  json: boolean
}

interface BenchProduct {
  id: number
  sku: string
  name: string
  price: string
  taxRate: string
}

/** One invoice's lines, priced once up front (the floor writes these values as they are). */
interface Template {
  lines: { product: BenchProduct; quantity: number }[]
  rows: {
    productId: number
    sku: string
    name: string
    quantity: string
    price: string
    taxRate: string
    gross: string
    net: string
    tax: string
    total: string
  }[]
  subtotal: string
  taxTotal: string
  total: string
  change: string
}

export interface VariantResult {
  submits: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  submitsPerSecond: number
  statementsPerSubmit: number
  /** time spent waiting for the database per submit (sending, running, receiving) */
  dbMsPerSubmit: number
  errors: number
  /** CPU time of this Node process per submit (client, service and driver; with --http the server too) */
  nodeCpuMsPerSubmit: number
  /** units by which stock levels and ledger sums disagree after this variant ran (lost updates) */
  stockDrift: number
}

function integerOption(value: string | boolean | undefined, name: string, min: number, max: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`)
  return n
}

function parseOptions(raw: Record<string, string | boolean | undefined>): Options {
  const flow = String(raw['flow'] ?? 'checkout')
  if (flow !== 'checkout' && flow !== 'draft') throw new Error('--flow must be checkout or draft')
  const variants = String(raw['variants'] ?? VARIANTS.join(','))
    .split(',')
    .map((v) => v.trim())
  const unknown = variants.filter((v) => !VARIANTS.includes(v as Variant))
  if (unknown.length > 0) throw new Error(`--variants: unknown ${unknown.join(', ')} (use ${VARIANTS.join(', ')})`)
  return {
    lines: integerOption(raw['lines'] ?? '51', 'lines', 1, 2000),
    clients: integerOption(raw['clients'] ?? '1', 'clients', 1, 256),
    durationMs: Number(raw['duration'] ?? '10') * 1000,
    warmupMs: Number(raw['warmup'] ?? '1') * 1000,
    products: integerOption(raw['products'] ?? '2000', 'products', 1, 1_000_000),
    flow,
    http: raw['http'] === true,
    variants: variants as Variant[],
    rounds: integerOption(raw['rounds'] ?? '5', 'rounds', 1, 1000),
    json: raw['json'] === true,
  }
}

async function openBenchDatabase(config: Config, clients: number): Promise<Db> {
  if (config.databaseUrl) {
    return connectPostgres({
      url: config.databaseUrl,
      poolSize: Math.max(config.poolSize, clients + 2),
      statementTimeoutMs: config.statementTimeoutMs,
    })
  }
  return connectPglite(config.dataDir)
}

/** A location of its own, products with prices and tax rates, and stock that lasts the whole run. */
async function setUp(db: Db, options: Options) {
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`
  await db.primary
    .insertInto('unit')
    .values({ code: 'each', name: 'each' })
    .onConflict((oc) => oc.column('code').doNothing())
    .execute()
  const location = await db.primary
    .insertInto('location')
    .values({ code: `BENCH-${run}`, name: `Benchmark ${run}`, allow_negative_stock: false })
    .returning('id')
    .executeTakeFirstOrThrow()
  const rates = ['0', '7', '19']
  const indexes = Array.from({ length: options.products }, (_, i) => i)
  const { rows: products } = await sql<BenchProduct>`
    insert into product (sku, name, base_unit, price, tax_rate)
    select t.sku, t.name, 'each', t.price, t.tax_rate
    from unnest(${indexes.map((i) => `BENCH-${run}-${i}`)}::text[], ${indexes.map((i) => `Bench product ${i}`)}::text[],
      ${indexes.map((i) => money(new Big(50 + ((i * 7919) % 1950)).div(100)))}::numeric[],
      ${indexes.map((i) => rates[i % rates.length]!)}::numeric[]) as t(sku, name, price, tax_rate)
    returning id, sku, name, price::text as price, tax_rate::text as "taxRate"`.execute(db.primary)
  await moveStockOrFail(
    db.primary,
    products.map((p) => ({
      locationId: location.id,
      productId: p.id,
      delta: STOCK_PER_PRODUCT,
      reason: 'adjustment' as const,
      lines: [],
      sku: p.sku,
    })),
    { reference: `bench ${run}`, tokenId: null },
  )

  let seed = 42
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    return seed / 2_147_483_648
  }
  const templates: Template[] = Array.from({ length: TEMPLATES }, () => {
    const chosen = new Set<number>()
    const lines: Template['lines'] = []
    while (lines.length < options.lines) {
      const index = Math.floor(random() * products.length)
      if (chosen.has(index) && chosen.size < products.length) continue
      chosen.add(index)
      lines.push({ product: products[index]!, quantity: 1 + Math.floor(random() * 3) })
    }
    const priced = priceInvoice(
      lines.map((l) => ({
        quantity: new Big(l.quantity),
        unitPrice: new Big(l.product.price),
        taxRate: new Big(l.product.taxRate),
        discount: { percent: null, amount: new Big(0) },
      })),
      { percent: null, amount: new Big(0) },
    )
    return {
      lines,
      rows: lines.map((l, i) => {
        const p = priced.lines[i]!
        return {
          productId: l.product.id,
          sku: l.product.sku,
          name: l.product.name,
          quantity: String(l.quantity),
          price: l.product.price,
          taxRate: l.product.taxRate,
          gross: money(p.grossAmount),
          net: money(p.netAmount),
          tax: money(p.taxAmount),
          total: money(p.totalAmount),
        }
      }),
      subtotal: money(priced.subtotal),
      taxTotal: money(priced.taxTotal),
      total: money(priced.total),
      change: money(new Big(CASH_TENDERED).minus(priced.total)),
    }
  })
  return { locationId: location.id, productIds: products.map((p) => p.id), templates }
}

/** The same business operation, a statement per line, reading and writing absolute stock values. */
async function naiveSubmit(db: Db, locationId: number, template: Template): Promise<void> {
  await db.primary.transaction().execute(async (trx) => {
    const invoice = await trx
      .insertInto('sales_invoice')
      .values({ location_id: locationId, status: 'submitted', submitted_at: new Date(), created_by: null, note: null, discount_percent: null })
      .returning(['id', 'submitted_at'])
      .executeTakeFirstOrThrow()
    let subtotal = new Big(0)
    let taxTotal = new Big(0)
    for (const [position, line] of template.lines.entries()) {
      const product = await trx
        .selectFrom('product')
        .select(['id', 'sku', 'name', 'base_unit', 'price', 'tax_rate'])
        .where('id', '=', line.product.id)
        .executeTakeFirstOrThrow()
      const conversion = await trx
        .selectFrom('product_unit')
        .select('factor')
        .where('product_id', '=', product.id)
        .where('unit_code', '=', product.base_unit)
        .executeTakeFirst()
      const factor = new Big(conversion?.factor ?? '1')
      const quantity = new Big(line.quantity)
      const base = quantity.times(factor)
      const stock = await trx
        .selectFrom('stock_level')
        .select('quantity')
        .where('location_id', '=', locationId)
        .where('product_id', '=', product.id)
        .executeTakeFirstOrThrow()
      const left = new Big(stock.quantity).minus(base)
      if (left.lt(0)) throw new Error(`not enough stock of ${product.sku}`)
      await trx
        .updateTable('stock_level')
        .set({ quantity: decimalString(left), updated_at: new Date() })
        .where('location_id', '=', locationId)
        .where('product_id', '=', product.id)
        .execute()
      await trx
        .insertInto('stock_ledger')
        .values({
          location_id: locationId,
          product_id: product.id,
          delta: decimalString(base.neg()),
          reason: 'sale',
          reference: `sales_invoice:${invoice.id}`,
          token_id: null,
        })
        .execute()
      const gross = quantity.times(product.price).round(2, Big.roundHalfUp)
      const tax = gross.times(product.tax_rate).div(100).round(2, Big.roundHalfUp)
      subtotal = subtotal.plus(gross)
      taxTotal = taxTotal.plus(tax)
      await trx
        .insertInto('sales_invoice_line')
        .values({
          invoice_id: invoice.id,
          position,
          product_id: product.id,
          sku: product.sku,
          name: product.name,
          unit: product.base_unit,
          quantity: decimalString(quantity),
          factor: decimalString(factor),
          base_quantity: decimalString(base),
          unit_price: product.price,
          price_overridden: false,
          tax_rate: product.tax_rate,
          gross_amount: money(gross),
          discount_percent: null,
          discount_amount: '0',
          invoice_discount_amount: '0',
          net_amount: money(gross),
          tax_amount: money(tax),
          total_amount: money(gross.plus(tax)),
        })
        .execute()
      await sql`
        insert into sales_rollup_product_hour as r (location_id, bucket, product_id, quantity, net_amount, tax_amount, total_amount)
        values (${locationId}, date_trunc('hour', now(), 'UTC'), ${product.id}, ${decimalString(base)}::numeric,
          ${money(gross)}::numeric, ${money(tax)}::numeric, ${money(gross.plus(tax))}::numeric)
        on conflict (location_id, bucket, product_id) do update
          set quantity = r.quantity + excluded.quantity, net_amount = r.net_amount + excluded.net_amount,
            tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount`.execute(trx)
    }
    const total = subtotal.plus(taxTotal)
    await trx
      .insertInto('sales_payment')
      .values({
        invoice_id: invoice.id,
        method: 'cash',
        amount: money(total),
        tendered: CASH_TENDERED,
        change: money(new Big(CASH_TENDERED).minus(total)),
        reference: null,
      })
      .execute()
    await sql`
      insert into sales_rollup_hour as r (location_id, bucket, shard, invoices, returns, net_amount, tax_amount, total_amount, discount_amount)
      values (${locationId}, date_trunc('hour', now(), 'UTC'), ${invoice.id % SALES_ROLLUP_SHARDS}, 1, 0,
        ${money(subtotal)}::numeric, ${money(taxTotal)}::numeric, ${money(total)}::numeric, 0)
      on conflict (location_id, bucket, shard) do update
        set invoices = r.invoices + 1, net_amount = r.net_amount + excluded.net_amount,
          tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount`.execute(trx)
    await trx
      .updateTable('sales_invoice')
      .set({
        subtotal: money(subtotal),
        net_total: money(subtotal),
        tax_total: money(taxTotal),
        total: money(total),
        paid_total: money(total),
        change_due: money(new Big(CASH_TENDERED).minus(total)),
        line_count: template.lines.length,
      })
      .where('id', '=', invoice.id)
      .execute()
  })
}

/** Every write of the sale in one statement, values computed beforehand: nothing left to save. */
async function floorSubmit(db: Db, locationId: number, t: Template): Promise<void> {
  // arrays serialized the way Brisk's own statements send them
  const col = <K extends keyof Template['rows'][number]>(key: K) => pgArray(t.rows.map((r) => r[key]))
  // prepared like Brisk's own hot statements, so both are compared on the same footing
  await sql`/* prepared */
    with inv as (
      insert into sales_invoice (location_id, status, subtotal, net_total, tax_total, total, paid_total, change_due,
        line_count, submitted_at)
      values (${locationId}, 'submitted', ${t.subtotal}::numeric, ${t.subtotal}::numeric, ${t.taxTotal}::numeric,
        ${t.total}::numeric, ${t.total}::numeric, ${t.change}::numeric, ${t.rows.length}, now())
      returning id
    ), input as (
      select * from unnest(${col('productId')}::bigint[], ${col('sku')}::text[], ${col('name')}::text[],
        ${col('quantity')}::numeric[], ${col('price')}::numeric[], ${col('taxRate')}::numeric[], ${col('gross')}::numeric[],
        ${col('net')}::numeric[], ${col('tax')}::numeric[], ${col('total')}::numeric[])
        with ordinality as t(product_id, sku, name, quantity, price, tax_rate, gross, net, tax, total, position)
    ), lines as (
      insert into sales_invoice_line (invoice_id, position, product_id, sku, name, unit, quantity, factor, base_quantity,
        unit_price, price_overridden, tax_rate, gross_amount, net_amount, tax_amount, total_amount)
      select inv.id, t.position, t.product_id, t.sku, t.name, 'each', t.quantity, 1, t.quantity, t.price, false,
        t.tax_rate, t.gross, t.net, t.tax, t.total
      from inv cross join input t
    ), per_product as (
      select product_id, sum(quantity) as quantity, sum(net) as net, sum(tax) as tax, sum(total) as total
      from input group by product_id
    ), stock as (
      insert into stock_level as s (location_id, product_id, quantity, updated_at)
      select ${locationId}, p.product_id, -p.quantity, now() from per_product p order by p.product_id
      on conflict (location_id, product_id) do update
        set quantity = s.quantity + excluded.quantity, updated_at = excluded.updated_at
        where s.quantity + excluded.quantity >= 0
      returning s.product_id
    ), ledger as (
      insert into stock_ledger (location_id, product_id, delta, reason, reference)
      select ${locationId}, p.product_id, -p.quantity, 'sale', 'floor'
      from per_product p join stock s on s.product_id = p.product_id
    ), payment as (
      insert into sales_payment (invoice_id, method, amount, tendered, change)
      select inv.id, 'cash', ${t.total}::numeric, ${CASH_TENDERED}::numeric, ${t.change}::numeric from inv
    ), location_hour as (
      insert into sales_rollup_hour as r (location_id, bucket, shard, invoices, net_amount, tax_amount, total_amount)
      select ${locationId}, date_trunc('hour', now(), 'UTC'), inv.id % ${SALES_ROLLUP_SHARDS}, 1, ${t.subtotal}::numeric,
        ${t.taxTotal}::numeric, ${t.total}::numeric
      from inv
      on conflict (location_id, bucket, shard) do update
        set invoices = r.invoices + 1, net_amount = r.net_amount + excluded.net_amount,
          tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount
    ), product_hour as (
      insert into sales_rollup_product_hour as r (location_id, bucket, product_id, quantity, net_amount, tax_amount, total_amount)
      select ${locationId}, date_trunc('hour', now(), 'UTC'), p.product_id, p.quantity, p.net, p.tax, p.total
      from per_product p order by p.product_id
      on conflict (location_id, bucket, product_id) do update
        set quantity = r.quantity + excluded.quantity, net_amount = r.net_amount + excluded.net_amount,
          tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount
    )
    select id from inv`.execute(db.primary)
}

/**
 * Every slice starts from vacuumed hot rows: submits update the same stock and rollup rows over
 * and over, and without vacuum (autovacuum may be off or lagging) each slice would pay for the
 * dead row versions the slices before it left.
 */
async function vacuum(db: Db, scope: 'all' | 'hot'): Promise<void> {
  if (scope === 'all') {
    await sql`vacuum analyze stock_level, stock_ledger, location, product, sales_invoice, sales_invoice_line,
      sales_payment, sales_rollup_hour, sales_rollup_product_hour`.execute(db.primary)
  } else {
    // the rows every sale updates; the append-only tables need no vacuum between slices
    await sql`vacuum stock_level, location, sales_rollup_hour, sales_rollup_product_hour`.execute(db.primary)
  }
}

async function stockDrift(db: Db, locationId: number): Promise<number> {
  const { rows } = await sql<{ drift: string }>`
    select coalesce(sum(abs(s.quantity - coalesce(l.total, 0))), 0)::text as drift
    from stock_level s
    left join (select product_id, sum(delta) as total from stock_ledger where location_id = ${locationId} group by product_id) l
      on l.product_id = s.product_id
    where s.location_id = ${locationId}`.execute(db.primary)
  return Number(rows[0]?.drift ?? 0)
}

interface Sent {
  statements: number
  dbMs: number
}

/** Runs `op` from `clients` concurrent loops for `ms`; `op` resolves to the statements it sent. */
async function drive(op: (template: Template) => Promise<Sent>, templates: Template[], clients: number, ms: number) {
  const latencies: number[] = []
  let statements = 0
  let dbMs = 0
  let errors = 0
  let firstError: unknown
  let next = 0
  const cpu = process.cpuUsage()
  const start = performance.now()
  const end = start + ms
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const template = templates[next++ % templates.length]!
        const t0 = performance.now()
        try {
          // not `statements += await op()`: that reads `statements` before the await and loses updates
          const sent = await op(template)
          latencies.push(performance.now() - t0)
          statements += sent.statements
          dbMs += sent.dbMs
        } catch (error) {
          errors += 1
          firstError ??= error
        }
      }
    }),
  )
  const elapsed = performance.now() - start
  const used = process.cpuUsage(cpu)
  return { latencies, statements, dbMs, errors, elapsed, firstError, cpuMs: (used.user + used.system) / 1000 }
}

function counted(fn: (template: Template) => Promise<unknown>) {
  return async (template: Template) => {
    const stats = newQueryStats()
    await runWithQueryStats(stats, () => fn(template))
    return { statements: stats.count, dbMs: stats.durationMs }
  }
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits

async function run(config: Config, raw: Record<string, string | boolean | undefined>): Promise<void> {
  const options = parseOptions(raw)
  const log = (line: string) => {
    if (!options.json) console.error(line)
  }
  const db = await openBenchDatabase(config, options.clients)
  let app: Awaited<ReturnType<typeof buildApp>> | undefined
  try {
    await migrate(db.primary)
    log(`Setting up ${options.products} products with stock at a new location on ${db.description}…`)
    const { locationId, templates } = await setUp(db, options)
    const sales = createSalesService(db)
    const invoiceLines = (t: Template) => t.lines.map((l) => ({ productId: l.product.id, quantity: l.quantity }))
    const cash = [{ method: 'cash' as const, amount: CASH_TENDERED }]

    let brisk: (t: Template) => Promise<Sent>
    if (options.http) {
      app = await buildApp({ ...config, logLevel: 'silent' }, { db, migrate: false })
      const { token } = await createAccessService(db).createToken({ name: 'bench', role: 'admin' })
      const base = await app.http.listen({ host: '127.0.0.1', port: 0 })
      const post = async (path: string, body: unknown) => {
        const response = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
        const text = await response.text()
        if (!response.ok) throw new Error(`${response.status} ${text.slice(0, 300)}`)
        const timing = /db;desc="(\d+) statements";dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '')
        return { json: JSON.parse(text) as { id: number }, statements: Number(timing?.[1] ?? 0), dbMs: Number(timing?.[2] ?? 0) }
      }
      brisk = async (t) => {
        if (options.flow === 'checkout') {
          return post('/api/sales/invoices', { locationId, lines: invoiceLines(t), payments: cash, submit: true })
        }
        const draft = await post('/api/sales/invoices', { locationId, lines: invoiceLines(t) })
        const done = await post(`/api/sales/invoices/${draft.json.id}/submit`, { payments: cash })
        return { statements: draft.statements + done.statements, dbMs: draft.dbMs + done.dbMs }
      }
    } else {
      brisk = counted(async (t) => {
        if (options.flow === 'checkout') {
          return sales.createInvoice(SYSTEM_PRINCIPAL, { locationId, lines: invoiceLines(t), payments: cash, submit: true })
        }
        const draft = await sales.createInvoice(SYSTEM_PRINCIPAL, { locationId, lines: invoiceLines(t) })
        return sales.submitInvoice(SYSTEM_PRINCIPAL, draft.body.id, { payments: cash })
      })
    }
    const ops: Record<Variant, (t: Template) => Promise<Sent>> = {
      brisk,
      naive: counted((t) => naiveSubmit(db, locationId, t)),
      floor: counted((t) => floorSubmit(db, locationId, t)),
    }

    // The variants take turns in short slices, so a busy neighbour or a slowly filling table
    // weighs on all of them alike instead of on whichever ran last.
    const rounds = Math.max(1, options.rounds)
    const sliceMs = options.durationMs / rounds
    const totals = new Map(
      options.variants.map((v) => [
        v,
        { latencies: [] as number[], statements: 0, dbMs: 0, errors: 0, elapsed: 0, cpuMs: 0, drift: 0, firstError: undefined as unknown },
      ]),
    )
    log(
      `${options.variants.join(', ')}: ${options.warmupMs / 1000} s warm-up each, then ${rounds} round(s) of ${sliceMs / 1000} s each, ${options.clients} client(s)…`,
    )
    await vacuum(db, 'all')
    for (const variant of options.variants) {
      if (options.warmupMs > 0) await drive(ops[variant], templates, options.clients, options.warmupMs)
    }
    for (let r = 0; r < rounds; r++) {
      const order = options.variants.map((_, i) => options.variants[(i + r) % options.variants.length]!)
      for (const variant of order) {
        await vacuum(db, 'hot')
        const driftBefore = await stockDrift(db, locationId)
        const outcome = await drive(ops[variant], templates, options.clients, sliceMs)
        const total = totals.get(variant)!
        total.latencies.push(...outcome.latencies)
        total.statements += outcome.statements
        total.dbMs += outcome.dbMs
        total.errors += outcome.errors
        total.elapsed += outcome.elapsed
        total.cpuMs += outcome.cpuMs
        total.drift += (await stockDrift(db, locationId)) - driftBefore
        total.firstError ??= outcome.firstError
      }
    }
    const results: Partial<Record<Variant, VariantResult>> = {}
    for (const [variant, total] of totals) {
      const sorted = total.latencies.sort((a, b) => a - b)
      const submits = sorted.length
      if (total.errors > 0) {
        log(`${variant}: ${total.errors} failed; first: ${String((total.firstError as Error)?.message ?? total.firstError)}`)
      }
      results[variant] = {
        submits,
        p50Ms: round(percentile(sorted, 50)),
        p95Ms: round(percentile(sorted, 95)),
        p99Ms: round(percentile(sorted, 99)),
        submitsPerSecond: round(submits / (total.elapsed / 1000), 1),
        statementsPerSubmit: submits === 0 ? 0 : round(total.statements / submits, 1),
        dbMsPerSubmit: submits === 0 ? 0 : round(total.dbMs / submits),
        errors: total.errors,
        nodeCpuMsPerSubmit: submits === 0 ? 0 : round(total.cpuMs / submits),
        stockDrift: round(total.drift, 6),
      }
    }

    const { brisk: b, naive: n, floor: f } = results
    const ratio = (x: number | undefined, y: number | undefined) => (x && y ? round(x / y) : null)
    const ratios = {
      briskToFloorP50: ratio(b?.p50Ms, f?.p50Ms),
      briskToFloorThroughput: ratio(b?.submitsPerSecond, f?.submitsPerSecond),
      naiveToBriskP50: ratio(n?.p50Ms, b?.p50Ms),
      naiveToBriskStatements: ratio(n?.statementsPerSubmit, b?.statementsPerSubmit),
      briskToNaiveThroughput: ratio(b?.submitsPerSecond, n?.submitsPerSecond),
    }
    const setting = {
      database: db.description,
      lines: options.lines,
      clients: options.clients,
      durationSeconds: options.durationMs / 1000,
      rounds: options.rounds,
      products: options.products,
      flow: options.flow,
      http: options.http,
    }
    if (options.json) {
      console.log(JSON.stringify({ scenario: 'invoice-submit', ...setting, results, ratios }, null, 2))
      return
    }
    const label: Record<Variant, string> = {
      brisk: options.http ? `brisk (HTTP, ${options.flow})` : `brisk (service, ${options.flow})`,
      naive: 'naive (statement per line)',
      floor: 'floor (one statement)',
    }
    console.log(
      `\ninvoice-submit: ${options.lines} lines per invoice, ${options.clients} client(s), ${options.durationMs / 1000} s per variant, ${db.description}\n`,
    )
    console.log(
      renderTable(
        ['variant', 'submits', 'p50 ms', 'p95 ms', 'p99 ms', 'submits/s', 'SQL/submit', 'DB ms', 'Node CPU ms', 'errors', 'stock drift'],
        options.variants.map((v) => {
          const r = results[v]!
          return [
            label[v],
            r.submits,
            r.p50Ms.toFixed(2),
            r.p95Ms.toFixed(2),
            r.p99Ms.toFixed(2),
            r.submitsPerSecond.toFixed(1),
            r.statementsPerSubmit,
            r.dbMsPerSubmit.toFixed(2),
            r.nodeCpuMsPerSubmit.toFixed(2),
            r.errors,
            r.stockDrift,
          ]
        }),
      ),
    )
    console.log('')
    console.log("DB ms: time awaiting the database per submit. Node CPU: this process's CPU per submit.")
    if (db.kind === 'pglite') console.log('With PGlite the database runs in this process: its work counts in both.')
    if (ratios.briskToFloorP50 !== null) {
      console.log(
        `brisk / floor: p50 ${ratios.briskToFloorP50}×, throughput ${Math.round((ratios.briskToFloorThroughput ?? 0) * 100)} % of the floor`,
      )
    }
    if (ratios.naiveToBriskP50 !== null) {
      console.log(
        `naive / brisk: p50 ${ratios.naiveToBriskP50}×, ${ratios.naiveToBriskStatements}× the statements, brisk does ${ratios.briskToNaiveThroughput}× the submits/s`,
      )
    }
  } finally {
    if (app) await app.close()
    await db.close()
  }
}

export const invoiceSubmitScenario: BenchScenario = {
  name: 'invoice-submit',
  description: 'Submit POS invoices of N lines: Brisk vs a statement-per-line version vs one hand-written statement',
  options: [
    { flags: '--lines <n>', description: 'lines per invoice', defaultValue: '51' },
    { flags: '--clients <n>', description: 'concurrent clients', defaultValue: '1' },
    { flags: '--duration <seconds>', description: 'measured seconds per variant (over all rounds)', defaultValue: '10' },
    { flags: '--warmup <seconds>', description: 'unmeasured seconds of each variant before measuring', defaultValue: '1' },
    {
      flags: '--rounds <n>',
      description: 'the measured time is cut in this many rounds; in each, every variant runs in turn',
      defaultValue: '5',
    },
    { flags: '--products <n>', description: 'catalog size the lines are drawn from', defaultValue: '2000' },
    {
      flags: '--flow <flow>',
      description: 'brisk: "checkout" (one call creates, pays and submits) or "draft" (create a draft, then submit it)',
      defaultValue: 'checkout',
    },
    { flags: '--http', description: 'drive brisk through the HTTP API on 127.0.0.1 (naive and floor stay in-process)' },
    { flags: '--variants <list>', description: 'comma-separated subset of brisk,naive,floor', defaultValue: 'brisk,naive,floor' },
  ],
  run,
}
