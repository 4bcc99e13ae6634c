import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import type { BriskApp } from '../../app.ts'
import { openApp, sender, signUp } from './customers.test-support.ts'

const home = { label: 'home', name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' }

describeEachDatabase('customers: addresses', (ctx) => {
  let app: BriskApp
  before(async () => {
    app = await openApp(ctx.db)
  })
  after(async () => {
    await app?.close()
  })
  const send = sender(() => app)
  const addresses = async (token: string) => (await send('GET', '/api/store/me/addresses', token)).json().items

  test('a customer adds, lists, changes and deletes addresses; one default at most', async () => {
    const { token } = await signUp(app)
    const first = await send('POST', '/api/store/me/addresses', token, { ...home, isDefault: true })
    assert.equal(first.statusCode, 201, first.body)
    const { id, createdAt, ...rest } = first.json()
    assert.ok(Number.isInteger(id) && !Number.isNaN(Date.parse(createdAt)))
    assert.deepEqual(rest, { ...home, line2: null, phone: null, isDefault: true })

    const work = { name: 'Ada Lovelace', line1: '1 Rue de Rivoli', line2: 'Bureau 3', city: 'Paris', postalCode: '75001', country: 'FR' }
    const second = await send('POST', '/api/store/me/addresses', token, { ...work, phone: '+33 1 23 45 67 89', isDefault: true })
    assert.equal(second.statusCode, 201, second.body)
    const listed = await addresses(token)
    assert.deepEqual(
      listed.map((a: { city: string; isDefault: boolean }) => [a.city, a.isDefault]),
      [
        ['London', false],
        ['Paris', true],
      ],
      'the new default took the flag',
    )

    const patched = await send('PATCH', `/api/store/me/addresses/${id}`, token, { line2: 'Flat 2', isDefault: true })
    assert.equal(patched.statusCode, 200, patched.body)
    assert.equal(patched.json().line2, 'Flat 2')
    const cleared = await send('PATCH', `/api/store/me/addresses/${id}`, token, { line2: null, label: null })
    assert.equal(cleared.statusCode, 200, cleared.body)
    assert.deepEqual([cleared.json().line2, cleared.json().label, cleared.json().city], [null, null, 'London'])
    assert.deepEqual(
      (await addresses(token)).map((a: { isDefault: boolean }) => a.isDefault),
      [true, false],
    )

    assert.equal((await send('DELETE', `/api/store/me/addresses/${id}`, token)).statusCode, 204)
    assert.deepEqual(
      (await addresses(token)).map((a: { city: string }) => a.city),
      ['Paris'],
    )
    const again = await send('DELETE', `/api/store/me/addresses/${id}`, token)
    assert.equal(again.statusCode, 404, again.body)
  })

  test('addresses made the default at the same time leave exactly one default', async () => {
    const { token } = await signUp(app)
    const cities = ['Berlin', 'Paris', 'Rome', 'Madrid', 'Vienna', 'Prague']
    const responses = await Promise.all(
      cities.map((city) => send('POST', '/api/store/me/addresses', token, { ...home, city, isDefault: true })),
    )
    assert.deepEqual(
      responses.map((r) => r.statusCode),
      cities.map(() => 201),
    )
    const defaults = (await addresses(token)).filter((a: { isDefault: boolean }) => a.isDefault)
    assert.equal(defaults.length, 1)
  })

  test("another customer's address is not found: neither read, changed nor deleted", async () => {
    const alice = await signUp(app)
    const bob = await signUp(app)
    const bobs = (await send('POST', '/api/store/me/addresses', bob.token, home)).json()
    assert.deepEqual(await addresses(alice.token), [])
    const changed = await send('PATCH', `/api/store/me/addresses/${bobs.id}`, alice.token, { city: 'Elsewhere', isDefault: true })
    assert.equal(changed.statusCode, 404, changed.body)
    assert.equal(changed.json().error.code, 'CUSTOMERS_ADDRESS_NOT_FOUND')
    const deleted = await send('DELETE', `/api/store/me/addresses/${bobs.id}`, alice.token)
    assert.equal(deleted.statusCode, 404, deleted.body)
    assert.deepEqual(deleted.json(), changed.json(), 'the same answer as for an address that does not exist')
    const missing = await send('DELETE', '/api/store/me/addresses/999999', alice.token)
    assert.equal(missing.json().error.code, 'CUSTOMERS_ADDRESS_NOT_FOUND')
    assert.deepEqual(await addresses(bob.token), [bobs], "Bob's address is as it was")
  })

  test('addresses are checked: country codes, blanks, unknown fields, empty changes; nothing written', async () => {
    const { token } = await signUp(app)
    const added = (await send('POST', '/api/store/me/addresses', token, home)).json()
    const refusedBodies: [object, number, string][] = [
      [{ ...home, country: 'gb' }, 400, 'VALIDATION_FAILED'],
      [{ ...home, country: 'GBR' }, 400, 'VALIDATION_FAILED'],
      [{ ...home, country: 'XX' }, 422, 'CUSTOMERS_UNKNOWN_COUNTRY'],
      [{ ...home, country: 'UK' }, 422, 'CUSTOMERS_UNKNOWN_COUNTRY'],
      [{ ...home, city: '  ' }, 400, 'VALIDATION_FAILED'],
      [{ ...home, line1: '' }, 400, 'VALIDATION_FAILED'],
      [{ ...home, phone: 'call me' }, 400, 'VALIDATION_FAILED'],
      [{ ...home, customerId: 2 }, 400, 'VALIDATION_FAILED'],
      [{ name: 'No Street', city: 'London', postalCode: 'N1', country: 'GB' }, 400, 'VALIDATION_FAILED'],
    ]
    for (const [payload, status, code] of refusedBodies) {
      const response = await send('POST', '/api/store/me/addresses', token, payload)
      assert.equal(response.statusCode, status, `${JSON.stringify(payload)}: ${response.body}`)
      assert.equal(response.json().error.code, code)
    }
    const unknown = await send('PATCH', `/api/store/me/addresses/${added.id}`, token, { country: 'ZZ' })
    assert.equal(unknown.statusCode, 422, unknown.body)
    assert.deepEqual(unknown.json().error.details, { field: '/country', country: 'ZZ' })
    const empty = await send('PATCH', `/api/store/me/addresses/${added.id}`, token, {})
    assert.equal(empty.statusCode, 400, empty.body)
    const nameless = await send('PATCH', `/api/store/me/addresses/${added.id}`, token, { name: null })
    assert.equal(nameless.statusCode, 400, nameless.body)
    assert.deepEqual(await addresses(token), [added], 'nothing changed')
    const rows = await ctx.db.primary.selectFrom('customer_address').select('id').execute()
    assert.equal(rows.length, 1, 'nothing was added')
  })

  test('the address routes need a signed-in customer', async () => {
    const requests = [
      ['GET', '/api/store/me/addresses', undefined],
      ['POST', '/api/store/me/addresses', home],
      ['PATCH', '/api/store/me/addresses/1', { city: 'Paris' }],
      ['DELETE', '/api/store/me/addresses/1', undefined],
      ['GET', '/api/store/me', undefined],
      ['PATCH', '/api/store/me', { name: 'x' }],
      ['DELETE', '/api/store/sessions/current', undefined],
    ] as const
    for (const [method, url, payload] of requests) {
      const response = await send(method, url, undefined, payload)
      assert.equal(response.statusCode, 401, `${method} ${url}: ${response.body}`)
      assert.equal(response.json().error.code, 'CUSTOMERS_UNAUTHENTICATED')
    }
  })
})
