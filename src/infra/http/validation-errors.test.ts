import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { InjectOptions } from 'fastify'
import { Type } from 'typebox'
import { loadConfig } from '../../config/config.ts'
import { QUANTITY_LIMITS } from '../decimal.ts'
import { CalendarDate, DateOrTimestamp, Decimal, IdParams, Text, withTextProperties } from './schemas.ts'
import { createHttpServer, type HttpServer } from './server.ts'

let http: HttpServer

before(async () => {
  http = await createHttpServer(loadConfig({}, { logLevel: 'silent' }))
  const TopQuery = Type.Object(
    {
      by: Type.Optional(Type.Union([Type.Literal('total'), Type.Literal('quantity')])),
      method: Type.Optional(Type.Enum(['cash', 'card', 'other'])),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    },
    { additionalProperties: false },
  )
  http.get('/report', { schema: { querystring: TopQuery } }, async () => ({ ok: true }))
  const DecimalInput = Decimal(QUANTITY_LIMITS, 'A quantity')
  const Line = Type.Object({ sku: Type.String({ minLength: 1 }), quantity: DecimalInput }, { additionalProperties: false })
  const Body = Type.Object(
    {
      lines: Type.Array(Line),
      discountPercent: Type.Optional(Type.Union([DecimalInput, Type.Null()], { description: 'Percent; null removes it' })),
      note: Type.Optional(Type.Union([Type.String({ maxLength: 5 }), Type.Null()])),
      payment: Type.Optional(
        Type.Union([
          Type.Object({ method: Type.Literal('cash'), amount: DecimalInput }),
          Type.Object({ method: Type.Literal('card'), reference: Type.String() }),
        ]),
      ),
    },
    { additionalProperties: false },
  )
  http.post('/things/:id', { schema: { params: IdParams, body: Body } }, async () => ({ ok: true }))
  const Texts = Type.Object(
    {
      name: Text({ maxLength: 20 }),
      code: Type.Optional(Text({ pattern: '^\\S+$', description: 'No blanks' })),
      note: Type.Optional(Type.Union([Text(), Type.Null()])),
    },
    { additionalProperties: false },
  )
  const Headers = withTextProperties(Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 10 })) }))
  http.post('/texts', { schema: { body: Texts, headers: Headers } }, async () => ({ ok: true }))
  const Dates = Type.Object({ day: Type.Optional(CalendarDate('A day')), from: Type.Optional(DateOrTimestamp('From')) })
  http.get('/dates', { schema: { querystring: Dates } }, async () => ({ ok: true }))
})

after(() => http.close())

async function errorOf(request: InjectOptions) {
  const response = await http.inject(request)
  return { status: response.statusCode, error: response.json().error }
}

test('a value outside a list names the allowed values, whether the schema is a union of literals or an enum', async () => {
  const { status, error } = await errorOf({ method: 'GET', url: '/report?by=revenue&method=cheque' })
  assert.equal(status, 400)
  assert.equal(error.code, 'VALIDATION_FAILED')
  assert.deepEqual(error.details, [
    { in: 'query', field: '/by', message: 'must be one of: total, quantity', allowed: ['total', 'quantity'] },
    { in: 'query', field: '/method', message: 'must be one of: cash, card, other', allowed: ['cash', 'card', 'other'] },
  ])
  assert.equal(
    error.message,
    'The request query string is not valid: /by must be one of: total, quantity (and 1 more, see details).',
  )
  assert.doesNotMatch(JSON.stringify(error), /anyOf|equal to constant/)
})

test('an unknown field is named, with the known ones, at any depth', async () => {
  const { status, error } = await errorOf({
    method: 'POST',
    url: '/things/1',
    payload: { lines: [{ sku: 'A', quantity: 1, colour: 'red' }], extra: true },
  })
  assert.equal(status, 400)
  assert.deepEqual(error.details, [
    {
      in: 'body',
      field: '/extra',
      message: 'is not a known field; known fields: lines, discountPercent, note, payment',
      allowed: ['lines', 'discountPercent', 'note', 'payment'],
    },
    {
      in: 'body',
      field: '/lines/0/colour',
      message: 'is not a known field; known fields: sku, quantity',
      allowed: ['sku', 'quantity'],
    },
  ])
})

test('a union of forms reports the branch the value was meant for, or the forms when none fits its type', async () => {
  const decimal =
    'must match pattern "^-?\\d{1,14}(\\.\\d{1,9})?$" (A quantity; a JSON number or a decimal string, at most 6 decimals, from -1000000 to 1000000)'
  const { error } = await errorOf({
    method: 'POST',
    url: '/things/1',
    payload: {
      lines: [{ sku: '', quantity: true }, { quantity: '1,5' }],
      discountPercent: 'ten',
      note: 'too long',
      payment: { method: 'card' },
    },
  })
  assert.deepEqual(
    error.details.map((d: { field: string; message: string }) => `${d.field} ${d.message}`),
    [
      '/lines/0/sku must NOT have fewer than 1 characters',
      '/lines/0/quantity must be a string matching ^-?\\d{1,14}(\\.\\d{1,9})?$ or a number',
      '/lines/1/sku is required',
      `/lines/1/quantity ${decimal}`,
      `/discountPercent ${decimal}`,
      '/note must NOT have more than 5 characters',
      '/payment/reference is required',
    ],
  )
})

test('a path parameter is named as such', async () => {
  const { status, error } = await errorOf({ method: 'POST', url: '/things/0', payload: { lines: [] } })
  assert.equal(status, 400)
  assert.deepEqual(error.details, [{ in: 'path', field: '/id', message: 'must be >= 1' }])
})

test('a body that is not JSON says to send content-type: application/json', async () => {
  const form = await errorOf({
    method: 'POST',
    url: '/things/1',
    payload: 'lines=1',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
  assert.equal(form.status, 415)
  assert.equal(form.error.code, 'UNSUPPORTED_MEDIA_TYPE')
  assert.match(form.error.message, /"application\/x-www-form-urlencoded" is not accepted: .*content-type: application\/json/)
  assert.deepEqual(form.error.details, { contentType: 'application/x-www-form-urlencoded', accepted: ['application/json'] })

  // Fastify parses text/plain as a string; the schema then refuses it, and the hint is the same.
  const plain = { 'content-type': 'text/plain' }
  const text = await errorOf({ method: 'POST', url: '/things/1', payload: '{"lines":[]}', headers: plain })
  assert.equal(text.status, 400)
  assert.match(text.error.message, /must be an object; send JSON with the header "content-type: application\/json"/)

  const json = await errorOf({ method: 'POST', url: '/things/1', payload: { lines: 'x' } })
  assert.doesNotMatch(json.error.message, /content-type/, 'a JSON body that fails its schema gets no content-type hint')
})

test('NUL in any text is refused at the edge, naming the field, in the body, the query and the headers', async () => {
  const nul = 'must not contain the NUL character (\\u0000)'
  const body = await errorOf({ method: 'POST', url: '/texts', payload: { name: 'a\u0000', code: 'b\u0000', note: '\u0000' } })
  assert.equal(body.status, 400)
  assert.deepEqual(body.error.details, [
    { in: 'body', field: '/name', message: nul },
    { in: 'body', field: '/code', message: nul },
    { in: 'body', field: '/note', message: nul },
  ])
  const number = await errorOf({ method: 'POST', url: '/texts', payload: { name: 5 } })
  assert.deepEqual(number.error.details, [{ in: 'body', field: '/name', message: 'must be a string' }], 'a number is not said to hold NUL')
  const fine = await errorOf({ method: 'POST', url: '/texts', payload: { name: 'a b', code: 'b c' } })
  assert.deepEqual(fine.error.details, [{ in: 'body', field: '/code', message: 'must match pattern "^\\S+$" (No blanks)' }])
  const header = await errorOf({ method: 'POST', url: '/texts', payload: { name: 'a' }, headers: { 'idempotency-key': 'k\u0000' } })
  assert.deepEqual(header.error.details, [{ in: 'header', field: '/idempotency-key', message: nul }])
  assert.equal(header.error.message, `The request header is not valid: /idempotency-key ${nul}.`)
  const query = await errorOf({ method: 'GET', url: '/dates?day=2026-01-01%00' })
  assert.ok(query.error.details.some((d: { message: string }) => d.message === nul), JSON.stringify(query.error))
})

test('dates are real calendar dates from 1900 to 9999; a timestamp has its offset', async () => {
  const date = 'must be a calendar date such as 2026-01-31, from 1900-01-01 to 9999-12-31'
  const timestamp = 'a timestamp with its offset such as 2026-01-31T09:30:00Z, from 1900-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z'
  const either = `must be ${date.slice(8)} or ${timestamp}`
  const cases: [string, string][] = [
    ['day=2026-02-29', date],
    ['day=2026-13-01', date],
    ['day=0000-01-01', 'must not be before 1900-01-01'],
    ['day=-271821-04-20', date],
    ['from=2026-02-30', either],
    ['from=2026-01-01T10:00:00', either],
    ['from=%2B275760-09-13T00:00:00Z', either],
  ]
  for (const [query, message] of cases) {
    const { status, error } = await errorOf({ method: 'GET', url: `/dates?${query}` })
    assert.equal(status, 400, query)
    assert.deepEqual(error.details, [{ in: 'query', field: `/${query.split('=')[0]}`, message }], query)
  }
  for (const query of ['day=2024-02-29', 'day=9999-12-31', 'from=2026-01-31', 'from=2026-01-31T09:30:00%2B05:30']) {
    assert.equal((await http.inject({ method: 'GET', url: `/dates?${query}` })).statusCode, 200, query)
  }
})
