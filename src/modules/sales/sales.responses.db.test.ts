/**
 * What every response of the domain API promises, checked against its own OpenAPI document: bodies
 * match their documented schemas, money always has two decimals, and every operation is named.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import { describeEachDatabase } from '../../../test/db.ts'
import { addStock, createLocation, createToken, createUnits } from '../../../test/factories.ts'
import { type BriskApp, buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'

type Schema = { [key: string]: unknown; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[] }
type Operation = { tags?: string[]; summary?: string; description?: string; responses?: Record<string, unknown> }
type Spec = { paths: Record<string, Record<string, Operation>> }

const DOMAIN_TAGS = ['catalog', 'inventory', 'sales', 'reporting']
const MONEY_PATTERN = '^-?\\d+\\.\\d{2}$'
const UNIT_PRICE_PATTERN = '^\\d+\\.\\d{2,}$'
/** Names of fields that hold money (amounts, totals, prices, payments); rates, percents and quantities do not match. */
const MONEY_NAME = /(amount|total|price|paid|change|due|tendered|returnedNet|returnedTax)$/i

function domainOperations(spec: Spec): { name: string; operation: Operation }[] {
  return Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([, operation]) => operation.tags?.some((tag) => DOMAIN_TAGS.includes(tag)))
      .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
  )
}

function responseSchema(spec: Spec, method: string, path: string, status: string): Schema {
  const content = (spec.paths[path]?.[method]?.responses?.[status] as { content?: Record<string, { schema: Schema }> })?.content
  const schema = content?.['application/json']?.schema
  assert.ok(schema, `${method} ${path} documents no ${status} JSON body`)
  return schema
}

/** Every property in `schema` whose name says it holds money, with its schema, as `path: schema`. */
function moneyFields(schema: Schema, at: string, found: Map<string, Schema>): Map<string, Schema> {
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const options = property.anyOf ?? [property]
    for (const option of options) {
      if (MONEY_NAME.test(name) && option['type'] === 'string') found.set(`${at}.${name}`, option)
      moneyFields(option, `${at}.${name}`, found)
    }
  }
  if (schema.items) moneyFields(schema.items, `${at}[]`, found)
  for (const option of schema.anyOf ?? []) moneyFields(option, at, found)
  return found
}

describeEachDatabase('responses of the domain API', (ctx) => {
  let app: BriskApp
  let spec: Spec
  before(async () => {
    app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })
    spec = (await app.http.inject({ method: 'GET', url: '/docs/json' })).json()
  })
  after(async () => {
    await app?.close()
  })

  test('every operation of catalog, inventory, sales and reporting has a summary and a description', () => {
    const operations = domainOperations(spec)
    assert.ok(operations.length >= 25, `only ${operations.length} operations`)
    const unnamed = operations.filter(({ operation }) => {
      const { summary, description } = operation
      return !summary || summary.length > 60 || summary.endsWith('.') || !description || description === summary
    })
    assert.deepEqual(
      unnamed.map((o) => `${o.name}: ${o.operation.summary}`),
      [],
    )
  })

  test('every money field in every documented response has two decimals; a unit price at least two', () => {
    const fields = new Map<string, Schema>()
    for (const { name, operation } of domainOperations(spec)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (!status.startsWith('2')) continue
        const content = (response as { content?: Record<string, { schema: Schema }> }).content ?? {}
        for (const [type, { schema }] of Object.entries(content)) moneyFields(schema, `${name} ${status} ${type}`, fields)
      }
    }
    assert.ok(fields.size > 50, `only ${fields.size} money fields found`)
    const wrong = [...fields].filter(([path, schema]) => {
      const expected = path.endsWith('.unitPrice') ? UNIT_PRICE_PATTERN : MONEY_PATTERN
      return schema['pattern'] !== expected
    })
    assert.deepEqual(
      wrong.map(([path]) => path),
      [],
    )
  })

  test('bodies match their documented schemas: 0.90, never 0.9; an override of 7.333 keeps its digits', async () => {
    await createUnits(ctx.db, ['each'])
    const manager = await createToken(ctx.db, 'manager')
    const auth = { authorization: manager.authorization }
    const ajv = new Ajv({ strict: false, allErrors: true })
    addFormats.default(ajv)
    const call = async (method: 'GET' | 'POST', url: string, route: string, status: number, payload?: object) => {
      const response = await app.http.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) })
      assert.equal(response.statusCode, status, `${method} ${url}: ${response.body}`)
      const validate = ajv.compile(responseSchema(spec, method.toLowerCase(), route, String(status)))
      assert.ok(validate(response.json()), `${method} ${url}: ${ajv.errorsText(validate.errors)}`)
      return response.json()
    }

    const product = await call('POST', '/api/products', '/api/products', 201, {
      sku: 'MILK',
      name: 'Milk',
      baseUnit: 'each',
      price: 0.9,
      taxRate: '10',
    })
    assert.equal(product.price, '0.90')
    assert.equal((await call('GET', `/api/products/${product.id}`, '/api/products/{id}', 200)).price, '0.90')
    assert.equal((await call('GET', '/api/products/lookup?code=MILK', '/api/products/lookup', 200)).product.price, '0.90')
    await call('GET', '/api/products?q=milk', '/api/products', 200)

    const location = await createLocation(ctx.db)
    await addStock(ctx.db, location.id, [{ productId: product.id, quantity: '10' }])
    const sale = await call('POST', '/api/sales/invoices', '/api/sales/invoices', 201, {
      locationId: location.id,
      lines: [
        { productId: product.id, quantity: 3 },
        { productId: product.id, quantity: 1, unitPrice: '7.333' },
        { productId: product.id, quantity: 1, unitPrice: 7 },
      ],
      payments: [{ method: 'cash', amount: 20 }],
      submit: true,
    })
    // 2.70 + 7.33 + 7.00 = 17.03, tax 0.27 + 0.73 + 0.70
    assert.deepEqual(
      sale.lines.map((l: { unitPrice: string; grossAmount: string }) => [l.unitPrice, l.grossAmount]),
      [
        ['0.90', '2.70'],
        ['7.333', '7.33'],
        ['7.00', '7.00'],
      ],
    )
    assert.deepEqual([sale.total, sale.paidTotal, sale.changeDue], ['18.73', '18.73', '1.27'])
    const returned = await call('POST', `/api/sales/invoices/${sale.id}/returns`, '/api/sales/invoices/{id}/returns', 201, {
      lines: [{ lineId: sale.lines[0].id, quantity: 1 }],
    })
    assert.equal(returned.return.totalAmount, '0.99')
    const read = await call('GET', `/api/sales/invoices/${sale.id}`, '/api/sales/invoices/{id}', 200)
    assert.deepEqual(read, returned.invoice)
    assert.equal(read.returns[0].lines[0].netAmount, '0.90')
    await call('GET', `/api/sales/invoices?locationId=${location.id}`, '/api/sales/invoices', 200)
    const returns = await call('GET', `/api/sales/returns?locationId=${location.id}`, '/api/sales/returns', 200)
    assert.deepEqual(returns.items, [returned.return])

    const day = sale.submittedAt.slice(0, 10)
    const hourlyUrl = `/api/reports/sales/hourly?locationId=${location.id}&date=${day}`
    const hourly = await call('GET', hourlyUrl, '/api/reports/sales/hourly', 200)
    assert.ok(hourly.hours.every((h: { totalAmount: string }) => /^-?\d+\.\d\d$/.test(h.totalAmount)))
    const top = await call(
      'GET',
      `/api/reports/sales/top-products?locationId=${location.id}&from=${day}`,
      '/api/reports/sales/top-products',
      200,
    )
    assert.deepEqual(
      top.items.map((i: { quantity: string; netAmount: string }) => [i.quantity, i.netAmount]),
      [['4', '16.13']],
    )
    await call('GET', `/api/locations/${location.id}/stock`, '/api/locations/{id}/stock', 200)
    await call('GET', `/api/locations/${location.id}/ledger`, '/api/locations/{id}/ledger', 200)
  })
})
