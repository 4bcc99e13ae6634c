/**
 * Bad input on every route of the OpenAPI document: a 4xx with the standard error body, never a
 * 5xx, and nothing written. One property sends random malformed payloads to the write routes; the
 * other puts, in turn at every input of every route (path, query, header, every body field), each
 * class of value its declared limits refuse — NUL in text, numbers out of range or finer than
 * their column, invalid and extreme dates, over-long path parameters — into a request that is
 * valid in shape everywhere else and names rows that exist, so the bad value is what it meets.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { InjectOptions } from 'fastify'
import { sql } from 'kysely'
import { type BriskApp, buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config/config.ts'
import type { Db } from '../src/infra/db/database.ts'
import {
  BASE_QUANTITY_SCALE,
  Big,
  type DecimalLimits,
  FACTOR_LIMITS,
  MAX_BASE_QUANTITY,
  MONEY_LIMITS,
  PERCENT_LIMITS,
  PRICE_LIMITS,
  QUANTITY_LIMITS,
  TAX_RATE_LIMITS,
} from '../src/infra/decimal.ts'
import type { Principal } from '../src/modules/access/index.ts'
import { MAX_INVOICE_SUBTOTAL } from '../src/modules/sales/sales.lines.ts'
import { type DbContext, describeEachDatabase } from './db.ts'
import { addStock, createLocation, createToken, createUnits } from './factories.ts'
import { type Bad, badValuesFor, type Hints, type Operation, operationsOf, type Target, targetsOf, valuesOf } from './openapi-inputs.ts'

/** Requests per database: at least this many, spread evenly over every (input, class of bad value) of every route. */
const RUNS = { postgres: 3000, pglite: 1500 }
const SEED = 20261130

/**
 * The digest of every table in ONE statement (row count and md5 of the rows, per table), cheap
 * enough to take after every request: the tables are small.
 */
async function digester(db: Db): Promise<() => Promise<string>> {
  const { rows } = await sql<{ tablename: string }>`
    select tablename from pg_tables where schemaname = 'public' order by tablename`.execute(db.primary)
  const parts = rows.map(
    ({ tablename }) => sql`select ${tablename}::text as t,
      count(*)::text || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as d
      from ${sql.table(tablename)} x`,
  )
  const query = sql<{ digest: string }>`
    select string_agg(t || '=' || d, ' ' order by t) as digest from (${sql.join(parts, sql` union all `)}) s`
  return async () => (await query.execute(db.primary)).rows[0]!.digest
}

/** A shop with rows every route can name: products with units, two locations with stock, a draft and a sold invoice. */
async function shop(app: BriskApp, db: Db) {
  const admin = await createToken(db, 'admin')
  const other = await createToken(db, 'cashier')
  await createUnits(db, ['each', 'box12', 'pallet', 'kg', 'g'])
  const { catalog, sales } = app.services
  const category = await catalog.createCategory(admin.principal, { name: 'Drinks' })
  const cola = await catalog.createProduct(admin.principal, {
    sku: 'P-1',
    name: 'Cola',
    baseUnit: 'each',
    price: '2.50',
    taxRate: '10',
    categoryId: category.id,
    units: [
      { unit: 'box12', factor: 12 },
      { unit: 'pallet', factor: 1_000_000 },
    ],
  })
  const cheese = await catalog.createProduct(admin.principal, {
    sku: 'P-2',
    name: 'Cheese',
    baseUnit: 'kg',
    price: '12.99',
    units: [{ unit: 'g', factor: '0.001' }],
  })
  const main = await createLocation(db, { code: 'MAIN' })
  const warehouse = await createLocation(db, { code: 'WH' })
  for (const location of [main, warehouse]) {
    await addStock(db, location.id, [
      { productId: cola.id, quantity: '1000' },
      { productId: cheese.id, quantity: '1000' },
    ])
  }
  const lines = [
    { productId: cola.id, quantity: 2 },
    { productId: cheese.id, unit: 'g', quantity: 250 },
  ]
  const draft = (await sales.createInvoice(admin.principal, { locationId: main.id, lines })).body
  const payments = [{ method: 'cash' as const, amount: '100' }]
  const sold = (await sales.createInvoice(admin.principal, { locationId: main.id, lines, payments, submit: true })).body
  const online = await onlineRows(app, db, main.id, lines, admin)
  return { admin, other, category, cola, cheese, main, warehouse, draft, sold, ...online }
}

/** The online store's rows: a shipping method, a guest cart, and an order placed from another cart and shipped. */
async function onlineRows(app: BriskApp, db: Db, locationId: number, lines: { productId: number; unit?: string; quantity: number }[], admin: { principal: Principal }) {
  const { orders } = app.services
  await sql`update location set sells_online = true where id = ${locationId}`.execute(db.primary)
  await orders.createShippingMethod(admin.principal, { code: 'standard', name: 'Standard', rates: [{ country: '*', price: '4.90' }] })
  const cart = await orders.createCart({}, lines)
  const bought = await orders.createCart({}, lines)
  const address = { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' }
  const checkout = { email: 'a@example.com', shippingAddress: address, shippingMethod: 'standard', payment: { provider: 'test', card: { number: '4242424242424242' } } }
  const total = (Number(bought.cart.total) + 4.9).toFixed(2)
  const order = (await orders.placeOrder({ cartToken: bought.token! }, { ...checkout, expectedTotal: total })).body
  await orders.fulfilOrder(admin.principal, order.id, { trackingReference: 'DHL-1' })
  return { cartToken: cart.token!, order }
}

type Shop = Awaited<ReturnType<typeof shop>>

/** Valid values that name the shop's rows, so a request gets as far as its bad value lets it. */
function hintsFor(s: Shop): Hints {
  const ids: [string, number][] = [
    ['/api/sales/invoices/{id}/returns', s.sold.id],
    ['/api/orders', s.order.id],
    ['/api/store/orders', s.order.id],
    ['/api/sales/invoices', s.draft.id],
    ['/api/products', s.cola.id],
    ['/api/locations', s.main.id],
    ['/api/tokens', s.other.principal.tokenId!],
  ]
  const lineIds = (operation: Operation) =>
    operation.path.startsWith('/api/orders') ? s.order.lines.map((l) => l.id) : (operation.path.endsWith('/returns') ? s.sold : s.draft).lines.map((l) => l.id)
  return (name, operation) => {
    switch (name) {
      case 'id':
        return fc.constant(ids.find(([prefix]) => operation.path.startsWith(prefix))?.[1] ?? 1)
      case 'productId':
        return fc.constant(s.cola.id)
      case 'sku':
        return fc.constant(s.cola.sku)
      case 'unit':
        return fc.constant('box12')
      case 'baseUnit':
        return fc.constant('each')
      case 'locationId':
      case 'fromLocationId':
        return fc.constant(s.main.id)
      case 'toLocationId':
        return fc.constant(s.warehouse.id)
      case 'categoryId':
      case 'parentId':
        return fc.constant(s.category.id)
      case 'lineId':
        return fc.constantFrom(...lineIds(operation))
      case 'locations':
        return fc.constant(s.main.code)
      case 'brisk-cart-token':
        return fc.constant(s.cartToken)
      case 'shippingMethod':
        return fc.constant('standard')
      case 'provider':
        return fc.constant('manual')
      case 'code':
        return operation.path === '/api/products/lookup' ? fc.constant(s.cola.sku) : undefined
      default:
        return undefined
    }
  }
}

interface Built {
  bad: Bad
  request: InjectOptions
}

/** Requests valid in shape everywhere but `target`, which gets a value of `bad`. */
function requestsFor(target: Target, bad: fc.Arbitrary<Bad>, hints: Hints, authorization: string): fc.Arbitrary<Built> {
  const operation = target.operation
  return bad.chain((b) => {
    const leaf = fc.constant(b.value)
    const parameters = operation.parameters.map((p) => {
      if (p.in === target.in && p.name === target.name) return leaf.map((v) => [p, v] as const)
      const valid = valuesOf(p.schema, p.name, operation, hints)
      return (p.required ? valid : fc.option(valid, { nil: undefined })).map((v) => [p, v] as const)
    })
    const inBody = target.in === 'body'
    const body =
      operation.body === undefined
        ? fc.constant(undefined)
        : valuesOf(operation.body, '', operation, hints, inBody ? target.steps : [], inBody ? leaf : undefined)
    return fc.tuple(fc.tuple(...parameters), body).map(([values, payload]): Built => {
      let url = operation.path
      const query: string[] = []
      const headers: Record<string, string> = { authorization }
      for (const [p, v] of values) {
        if (v === undefined) continue
        if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(String(v)))
        else if (p.in === 'header') headers[p.name] = String(v)
        else for (const item of Array.isArray(v) ? v : [v]) query.push(`${p.name}=${encodeURIComponent(String(item))}`)
      }
      if (payload !== undefined) headers['content-type'] = 'application/json'
      const request: InjectOptions = {
        method: operation.method as InjectOptions['method'],
        url: query.length > 0 ? `${url}?${query.join('&')}` : url,
        headers,
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      }
      return { bad: b, request }
    })
  })
}

async function withApp(ctx: DbContext, run: (app: BriskApp, s: Shop) => Promise<void>): Promise<void> {
  const app = await buildApp(loadConfig({}, { logLevel: 'silent', bodyLimitBytes: 64 * 1024 }), { db: ctx.db, migrate: false })
  try {
    const s = await shop(app, ctx.db)
    await app.http.ready()
    await run(app, s)
  } finally {
    await app.close()
  }
}

function assertStandardError(response: { statusCode: number; body: string }, what: string): { code: string } {
  const answered = `${what} answered ${response.statusCode}: ${response.body.slice(0, 300)}`
  assert.ok(response.statusCode >= 400 && response.statusCode < 500, answered)
  const error = JSON.parse(response.body).error
  assert.equal(typeof error?.code, 'string', `${what}: ${response.body.slice(0, 300)}`)
  assert.equal(typeof error?.message, 'string', `${what}: ${response.body.slice(0, 300)}`)
  return error
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

describeEachDatabase('bad input', (ctx) => {
  test('the declared limits fit the columns they are stored in', async () => {
    const { rows } = await sql<{ name: string; precision: number | null; scale: number | null }>`
      select table_name || '.' || column_name as name, numeric_precision as precision, numeric_scale as scale
      from information_schema.columns where table_schema = 'public' and data_type = 'numeric'`.execute(ctx.db.primary)
    const columns = new Map(rows.map((r) => [r.name, r]))
    const fits = (column: string, limits: Pick<DecimalLimits, 'scale' | 'max'>) => {
      const c = columns.get(column)
      assert.ok(c?.precision && c.scale !== null, `${column} is a numeric with precision and scale`)
      assert.equal(limits.scale, c.scale, `${column} keeps ${c.scale} decimals`)
      assert.ok(new Big(limits.max).lt(new Big(10).pow(c.precision - c.scale)), `${limits.max} fits ${column}`)
    }
    for (const column of ['sales_invoice_line.quantity', 'sales_return_line.quantity', 'stock_ledger.delta', 'stock_level.quantity']) {
      fits(column, QUANTITY_LIMITS)
    }
    for (const column of ['sales_payment.amount', 'sales_payment.tendered', 'sales_invoice.discount_amount']) {
      fits(column, MONEY_LIMITS)
    }
    fits('sales_invoice_line.discount_amount', MONEY_LIMITS)
    fits('product.price', PRICE_LIMITS)
    fits('product.tax_rate', TAX_RATE_LIMITS)
    fits('product_unit.factor', FACTOR_LIMITS)
    fits('sales_invoice.discount_percent', PERCENT_LIMITS)
    fits('sales_invoice_line.discount_percent', PERCENT_LIMITS)
    fits('stock_level.quantity', { scale: BASE_QUANTITY_SCALE, max: MAX_BASE_QUANTITY.toFixed() })
    // an invoice's total is at most twice its subtotal (tax up to 100 %), and so is each of its lines
    fits('sales_invoice.total', { scale: 2, max: MAX_INVOICE_SUBTOTAL.times(2).toFixed() })
    fits('sales_invoice_line.total_amount', { scale: 2, max: MAX_INVOICE_SUBTOTAL.times(2).toFixed() })
  })

  test('random malformed payloads on every write route: never a 5xx, never a write', async () => {
    await withApp(ctx, async (app, s) => {
      // a route that takes no body ignores one, so junk cannot make its request invalid
      const routes = operationsOf(app.http.swagger() as never)
        .filter((o) => WRITE_METHODS.has(o.method) && o.body !== undefined)
        .map((o) => ({ method: o.method, url: o.path.replace(/\{[^}]+\}/g, '1') }))
      assert.ok(routes.length >= 9, `expected the write routes to be listed, found ${routes.length}`)
      const digest = await digester(ctx.db)
      const before = await digest()

      const junkBody = fc.oneof(
        fc.anything({ maxDepth: 3 }).map((value) => ({ payload: JSON.stringify(value) ?? 'null' })),
        fc.string({ maxLength: 40 }).map((text) => ({ payload: `{${text}` })),
        fc.record({ lines: fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 3 }) }).map((v) => ({ payload: JSON.stringify(v) })),
        fc.constant({ payload: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) }),
      )
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), junkBody, async (route, body) => {
          const response = await app.http.inject({
            method: route.method as 'POST',
            url: route.url,
            payload: body.payload,
            headers: { authorization: s.admin.authorization, 'content-type': 'application/json' },
          })
          assertStandardError(response, `${route.method} ${route.url} with ${body.payload.slice(0, 200)}`)
        }),
        { numRuns: 300, seed: 20261122 },
      )
      assert.equal(await digest(), before)
    })
  })

  test('every class of bad value at every input of every route: a 4xx with the standard body, nothing written', async (t) => {
    await withApp(ctx, async (app, s) => {
      const operations = operationsOf(app.http.swagger() as never)
      const targets = operations.flatMap(targetsOf)
      const hints = hintsFor(s)
      const cases = targets.flatMap((target) => {
        const name = target.in === 'body' ? (target.name.split('/').pop() ?? '') : target.name
        const valid = valuesOf(target.schema, name, target.operation, hints)
        return badValuesFor(target, valid).map((bad) => ({ target, bad }))
      })
      const runsEach = Math.ceil(RUNS[ctx.kind] / cases.length)
      const digest = await digester(ctx.db)
      const before = await digest()
      const seen = new Map<string, number>()
      const statuses = new Map<number, number>()
      for (const [i, { target, bad }] of cases.entries()) {
        const requests = requestsFor(target, bad, hints, s.admin.authorization)
        await fc.assert(
          fc.asyncProperty(requests, async ({ bad: b, request }) => {
            const response = await app.http.inject(request)
            const sent = `${request.url?.toString().slice(0, 200)} ${String(request.payload ?? '').slice(0, 300)}`
            const what = `${target.in} ${target.name} = ${JSON.stringify(b.value)?.slice(0, 80)} (${b.class}) in ${request.method} ${sent}`
            assertStandardError(response, what)
            assert.equal(await digest(), before, `${what} wrote to the database`)
            const key = `${target.operation.method} ${target.operation.path} ${b.class}`
            seen.set(key, (seen.get(key) ?? 0) + 1)
            statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1)
          }),
          { numRuns: runsEach, seed: SEED + i },
        )
      }

      const total = [...statuses.values()].reduce((a, b) => a + b, 0)
      assert.ok(total >= RUNS[ctx.kind], `${total} requests`)
      const withInputs = operations.filter((o) => o.parameters.length > 0 || o.body !== undefined)
      const covered = new Set(targets.map((target) => `${target.operation.method} ${target.operation.path}`))
      assert.deepEqual(
        withInputs.map((o) => `${o.method} ${o.path}`).filter((o) => !covered.has(o)),
        [],
        'every route that takes input is covered',
      )
      const classes = new Set([...seen.keys()].map((key) => key.split(' ').pop()))
      const expected = ['nul', 'too-long', 'over-max', 'under-min', 'over-precise', 'invalid-date', 'extreme-date', 'time-zone', 'not-id']
      for (const cls of expected) {
        assert.ok(classes.has(cls), `class ${cls} was generated`)
      }
      const reads = new Set([...seen.keys()].filter((key) => key.startsWith('GET ')).map((key) => key.split(' ')[1]))
      assert.ok(reads.size >= 9, `read routes covered: ${[...reads].join(', ')}`)
      const byStatus = JSON.stringify(Object.fromEntries(statuses))
      t.diagnostic(`${total} requests, ${cases.length} (input, class) pairs on ${covered.size} routes; statuses ${byStatus}`)
    })
  })

  test("the issue's examples: refused with the limit they break, and nothing written", async () => {
    await withApp(ctx, async (app, s) => {
      const digest = await digester(ctx.db)
      const before = await digest()
      const send = (method: 'GET' | 'POST', url: string, payload?: object) =>
        app.http.inject({ method, url, headers: { authorization: s.admin.authorization }, ...(payload ? { payload } : {}) })
      const refused = async (method: 'GET' | 'POST', url: string, payload: object | undefined, status: number, code: string) => {
        const response = await send(method, url, payload)
        assert.equal(response.statusCode, status, `${url} ${JSON.stringify(payload)}: ${response.body}`)
        assert.equal(response.json().error.code, code, response.body)
        return response.json().error
      }
      const adjust = `/api/locations/${s.main.id}/adjustments`
      const sale = (lines: object[]) => ({ locationId: s.main.id, lines })
      const cheese = (quantity: number | string) => ({ productId: s.cheese.id, unit: 'g', quantity })

      assert.deepEqual(await refused('GET', '/api/products?q=a%00b', undefined, 400, 'VALIDATION_FAILED'), {
        code: 'VALIDATION_FAILED',
        message: 'The request query string is not valid: /q must not contain the NUL character (\\u0000).',
        details: [{ in: 'query', field: '/q', message: 'must not contain the NUL character (\\u0000)' }],
      })
      await refused('POST', '/api/products', { sku: 'X\u0000', name: 'n', baseUnit: 'each', price: 1 }, 400, 'VALIDATION_FAILED')
      const cola = (quantity: number | string, more: object = {}) => ({ productId: s.cola.id, quantity, ...more })
      const huge = await refused('POST', adjust, { lines: [cola(99999999999999)] }, 422, 'INVENTORY_INVALID_QUANTITY')
      assert.deepEqual(huge, {
        code: 'INVENTORY_INVALID_QUANTITY',
        message: 'lines[0].quantity must be at most 1000000.',
        details: { field: '/lines/0/quantity', max: '1000000' },
      })
      const fine = await refused('POST', adjust, { lines: [cola(0.0000001)] }, 422, 'INVENTORY_INVALID_QUANTITY')
      assert.deepEqual(fine.details, { field: '/lines/0/quantity', scale: 6 })
      // 0.0001 g of a product kept in kg is 0.0000001 kg: less than stock's last decimal
      await refused('POST', adjust, { lines: [cheese(0.0001)] }, 422, 'INVENTORY_QUANTITY_TOO_SMALL')
      await refused('POST', adjust, { lines: [cola(1001, { unit: 'pallet' })] }, 422, 'INVENTORY_QUANTITY_TOO_LARGE')
      await refused('POST', '/api/sales/invoices', sale([cola(0.0000001)]), 422, 'SALES_INVALID_QUANTITY')
      await refused('POST', '/api/sales/invoices', sale([cheese('0.0004')]), 422, 'SALES_QUANTITY_TOO_SMALL')
      const payment = { ...sale([cola(1)]), payments: [{ method: 'cash', amount: 1e13 }] }
      await refused('POST', '/api/sales/invoices', payment, 422, 'SALES_INVALID_AMOUNT')
      await refused('POST', '/api/sales/invoices', sale([cola(1, { unitPrice: 1e12 })]), 422, 'SALES_INVALID_AMOUNT')
      const line = cola(1_000_000, { unitPrice: '1000.01' })
      const oneLine = await refused('POST', '/api/sales/invoices', sale([line]), 422, 'SALES_AMOUNT_TOO_LARGE')
      assert.deepEqual(oneLine.details, { lines: [{ field: '/lines/0' }], max: '1000000000.00' })
      const half = { ...line, quantity: 500_000 }
      const twoLines = await refused('POST', '/api/sales/invoices', sale([half, half]), 422, 'SALES_AMOUNT_TOO_LARGE')
      assert.deepEqual(twoLines.details, { subtotal: '1000010000.00', max: '1000000000.00' })
      const tiny = { lines: [{ lineId: s.sold.lines[0]!.id, quantity: 1e-7 }] }
      await refused('POST', `/api/sales/invoices/${s.sold.id}/returns`, tiny, 422, 'SALES_INVALID_QUANTITY')
      const report = `/api/reports/sales/hourly?locationId=${s.main.id}`
      await refused('GET', `${report}&date=2026-02-31`, undefined, 400, 'VALIDATION_FAILED')
      await refused('GET', `${report}&date=0000-01-01`, undefined, 400, 'VALIDATION_FAILED')
      await refused('GET', `${report}&date=2026-01-01&timeZone=%2B01:00`, undefined, 400, 'VALIDATION_FAILED')
      // Intl knows these names, PostgreSQL does not
      await refused('GET', `${report}&date=2026-01-01&timeZone=US/Pacific-New`, undefined, 422, 'INVALID_TIME_ZONE')
      await refused('GET', '/api/sales/invoices?from=-271821-04-20', undefined, 400, 'VALIDATION_FAILED')
      await refused('GET', '/api/sales/invoices?from=2026-02-30', undefined, 400, 'VALIDATION_FAILED')
      await refused('GET', '/api/sales/invoices?after=1e308', undefined, 400, 'VALIDATION_FAILED')
      await refused('GET', `/api/locations/${s.main.id}/ledger?before=1e308`, undefined, 400, 'VALIDATION_FAILED')
      await refused('GET', `/api/products/${'9'.repeat(150)}`, undefined, 414, 'URI_TOO_LONG')
      assert.equal(await digest(), before)

      // a quantity finer than stock keeps is rounded half-up to 6 decimals; the response shows what the ledger holds
      const rounded = await send('POST', adjust, { lines: [cheese('0.1235')] })
      assert.equal(rounded.statusCode, 200, rounded.body)
      assert.equal(rounded.json().movements[0].delta, '0.000124')
      const ledger = await send('GET', `/api/locations/${s.main.id}/ledger?limit=1`)
      assert.equal(ledger.json().items[0].delta, '0.000124')
    })
  })
})
