import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import { describeEachDatabase } from '../../../test/db.ts'
import { createLocation, createToken } from '../../../test/factories.ts'

describeEachDatabase('access: tokens over HTTP', (ctx) => {
  let app: Awaited<ReturnType<typeof buildApp>>
  before(async () => {
    app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })
  })
  after(async () => {
    await app?.close()
  })

  const inject = (method: 'GET' | 'POST', url: string, authorization?: string, payload?: object) =>
    app.http.inject({ method, url, ...(authorization ? { headers: { authorization } } : {}), ...(payload ? { payload } : {}) })

  test('an admin creates a token whose secret is shown once and works at once', async () => {
    const admin = await createToken(ctx.db, 'admin')
    const main = await createLocation(ctx.db, { code: 'MAIN' })
    const payload = { name: ' till 2 ', role: 'cashier', locations: ['MAIN'] }
    const created = await inject('POST', '/api/tokens', admin.authorization, payload)
    assert.equal(created.statusCode, 201, created.body)
    assert.equal(created.headers['cache-control'], 'no-store')
    const { token, id, createdAt, ...rest } = created.json()
    assert.match(token, /^brisk_[\w-]{32}$/)
    assert.ok(Number.isInteger(id) && !Number.isNaN(Date.parse(createdAt)))
    assert.deepEqual(rest, { name: 'till 2', role: 'cashier', locations: ['MAIN'], locationIds: [main.id], revokedAt: null })
    const stored = await ctx.db.primary.selectFrom('api_token').select('token_hash').where('id', '=', id).executeTakeFirstOrThrow()
    assert.notEqual(stored.token_hash, token, 'only the hash is stored')
    assert.equal((await inject('GET', '/api/locations', `Bearer ${token}`)).statusCode, 200)
  })

  test('the list pages through tokens and never shows a secret or a hash', async () => {
    const admin = await createToken(ctx.db, 'admin')
    await createLocation(ctx.db, { code: 'WH1' })
    await inject('POST', '/api/tokens', admin.authorization, { name: 'a', role: 'manager', locations: ['WH1'] })
    await inject('POST', '/api/tokens', admin.authorization, { name: 'b', role: 'cashier' })
    const first = await inject('GET', '/api/tokens?limit=2', admin.authorization)
    assert.equal(first.statusCode, 200, first.body)
    const page = first.json()
    assert.deepEqual(
      page.items.map((t: { name: string; locations: string[] | null }) => [t.name, t.locations]),
      [['test admin', null], ['a', ['WH1']]],
    )
    assert.equal(page.nextAfter, page.items[1].id)
    const second = (await inject('GET', `/api/tokens?limit=2&after=${page.nextAfter}`, admin.authorization)).json()
    assert.deepEqual(second.items.map((t: { name: string }) => t.name), ['b'])
    assert.equal(second.nextAfter, null)
    for (const item of [...page.items, ...second.items]) {
      assert.deepEqual(Object.keys(item).sort(), ['createdAt', 'id', 'locationIds', 'locations', 'name', 'revokedAt', 'role'])
    }
    const all = await app.services.access.listTokens()
    assert.deepEqual(all.map((t) => t.name), ['test admin', 'a', 'b'], 'without a limit (the CLI) every token is listed')
    assert.ok(all.every((t) => !('token_hash' in t)))
  })

  test('a revoked token is refused on its very next request, though it was just verified', async () => {
    const admin = await createToken(ctx.db, 'admin')
    const cashier = await createToken(ctx.db, 'cashier')
    assert.equal((await inject('GET', '/api/locations', cashier.authorization)).statusCode, 200)
    const revoked = await inject('POST', `/api/tokens/${cashier.principal.tokenId}/revoke`, admin.authorization)
    assert.equal(revoked.statusCode, 200, revoked.body)
    assert.equal(revoked.json().role, 'cashier')
    assert.ok(revoked.json().revokedAt)
    const after = await inject('GET', '/api/locations', cashier.authorization)
    assert.equal(after.statusCode, 401, after.body)
    assert.equal(after.json().error.code, 'ACCESS_UNAUTHENTICATED')
    const again = await inject('POST', `/api/tokens/${cashier.principal.tokenId}/revoke`, admin.authorization)
    assert.equal(again.statusCode, 200, 'revoking twice is not an error')
    assert.equal(again.json().revokedAt, revoked.json().revokedAt, 'and keeps the first revocation time')
    const listed = (await inject('GET', '/api/tokens', admin.authorization)).json()
    assert.equal(listed.items.find((t: { id: number }) => t.id === cashier.principal.tokenId).revokedAt, revoked.json().revokedAt)
  })

  test('an admin cannot revoke the token it calls with, nor a token that does not exist', async () => {
    const admin = await createToken(ctx.db, 'admin')
    const own = await inject('POST', `/api/tokens/${admin.principal.tokenId}/revoke`, admin.authorization)
    assert.equal(own.statusCode, 409, own.body)
    assert.equal(own.json().error.code, 'ACCESS_OWN_TOKEN')
    assert.equal((await inject('GET', '/api/tokens', admin.authorization)).statusCode, 200, 'the token still works')
    const missing = await inject('POST', '/api/tokens/999999/revoke', admin.authorization)
    assert.equal(missing.statusCode, 404, missing.body)
    assert.equal(missing.json().error.code, 'ACCESS_TOKEN_NOT_FOUND')
  })

  test('only an admin for every location manages tokens: 401 without a token, 403 for others', async () => {
    await createLocation(ctx.db, { code: 'MAIN' })
    const target = await createToken(ctx.db, 'cashier')
    const requests = [
      { method: 'POST' as const, url: '/api/tokens', payload: { name: 'x', role: 'admin' } },
      { method: 'GET' as const, url: '/api/tokens' },
      { method: 'POST' as const, url: `/api/tokens/${target.principal.tokenId}/revoke` },
    ]
    const others = [
      { caller: await createToken(ctx.db, 'manager'), code: 'ACCESS_ROLE_FORBIDDEN' },
      { caller: await createToken(ctx.db, 'cashier'), code: 'ACCESS_ROLE_FORBIDDEN' },
      { caller: await createToken(ctx.db, 'admin', ['MAIN']), code: 'ACCESS_LOCATION_FORBIDDEN' },
    ]
    for (const request of requests) {
      const anonymous = await inject(request.method, request.url, undefined, request.payload)
      assert.equal(anonymous.statusCode, 401, `${request.url}: ${anonymous.body}`)
      for (const { caller, code } of others) {
        const refused = await inject(request.method, request.url, caller.authorization, request.payload)
        assert.equal(refused.statusCode, 403, `${request.url} as ${caller.principal.role}: ${refused.body}`)
        assert.equal(refused.json().error.code, code)
      }
    }
    const tokens = await ctx.db.primary.selectFrom('api_token').select(['id', 'revoked_at']).execute()
    assert.equal(tokens.length, 4, 'nothing was created')
    assert.ok(tokens.every((t) => t.revoked_at === null), 'nothing was revoked')
  })

  test('input is checked at the edge: 400 for the wrong shape, 422 naming unknown location codes', async () => {
    const admin = await createToken(ctx.db, 'admin')
    await createLocation(ctx.db, { code: 'MAIN' })
    const bad = [
      { name: 'x', role: 'owner' },
      { name: '   ', role: 'cashier' },
      { name: 'x'.repeat(101), role: 'cashier' },
      { name: 'x', role: 'cashier', locations: [] },
      { name: 'x', role: 'cashier', locations: ['MAIN', 'MAIN'] },
      { name: 'x', role: 'cashier', locations: ['no spaces'] },
      { name: 'x', role: 'cashier', secret: 'mine' },
      { role: 'cashier' },
    ]
    for (const payload of bad) {
      const response = await inject('POST', '/api/tokens', admin.authorization, payload)
      assert.equal(response.statusCode, 400, `${JSON.stringify(payload)}: ${response.body}`)
      assert.equal(response.json().error.code, 'VALIDATION_FAILED')
    }
    const unknownCodes = { name: 'x', role: 'cashier', locations: ['MAIN', 'NOPE', 'GONE'] }
    const unknown = await inject('POST', '/api/tokens', admin.authorization, unknownCodes)
    assert.equal(unknown.statusCode, 422, unknown.body)
    assert.equal(unknown.json().error.code, 'ACCESS_UNKNOWN_LOCATION')
    assert.deepEqual(unknown.json().error.details, { unknown: ['NOPE', 'GONE'] })
    assert.match(unknown.json().error.message, /NOPE, GONE/)
    assert.equal((await inject('GET', '/api/tokens?limit=0', admin.authorization)).statusCode, 400)
    assert.equal((await inject('POST', '/api/tokens/abc/revoke', admin.authorization)).statusCode, 400)
    const tokens = await ctx.db.primary.selectFrom('api_token').select('id').execute()
    assert.equal(tokens.length, 1, 'a refused request creates nothing')
  })

  test('the token routes are documented in OpenAPI', async () => {
    const spec = (await inject('GET', '/docs/json')).json()
    const operations = [['/api/tokens', 'post'], ['/api/tokens', 'get'], ['/api/tokens/{id}/revoke', 'post']] as const
    for (const [path, method] of operations) {
      const operation = spec.paths[path]?.[method]
      assert.ok(operation?.summary, `${method} ${path} has a summary`)
      assert.ok(operation?.description, `${method} ${path} has a description`)
    }
    assert.match(spec.paths['/api/tokens/{id}/revoke'].post.description, /sharing its Redis within the invalidation bus's latency \(milliseconds\), and within 2 s by one without Redis/)
  })
})
