import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../config/config.ts'
import { createHttpServer } from './server.ts'

async function serverWith(origins: string[]) {
  const http = await createHttpServer(loadConfig({}, { logLevel: 'silent', corsOrigins: origins }))
  http.post('/api/things', async () => ({ ok: true }))
  return http
}

const SHOP = 'https://shop.example.com'

test('an allowed origin may call the API from a browser: preflight, then the response it may read', async () => {
  const http = await serverWith([SHOP, 'http://localhost:5173'])
  try {
    const preflight = await http.inject({
      method: 'OPTIONS',
      url: '/api/things',
      headers: {
        origin: SHOP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, idempotency-key',
      },
    })
    assert.equal(preflight.statusCode, 204)
    assert.equal(preflight.headers['access-control-allow-origin'], SHOP)
    assert.match(String(preflight.headers['access-control-allow-methods']), /POST/)
    assert.match(String(preflight.headers['access-control-allow-headers']), /idempotency-key/)
    assert.equal(preflight.headers['access-control-max-age'], '600')

    const response = await http.inject({ method: 'POST', url: '/api/things', headers: { origin: SHOP }, payload: {} })
    assert.equal(response.statusCode, 200)
    assert.equal(response.headers['access-control-allow-origin'], SHOP)
    assert.match(String(response.headers['access-control-expose-headers']), /x-request-id/)

    const evil = { origin: 'https://evil.example' }
    const stranger = await http.inject({ method: 'POST', url: '/api/things', headers: evil, payload: {} })
    assert.equal(stranger.headers['access-control-allow-origin'], undefined, 'another origin gets no grant')
  } finally {
    await http.close()
  }
})

test('with no origins configured (the default) no CORS header is ever sent', async () => {
  assert.deepEqual(loadConfig({}).corsOrigins, [])
  const http = await serverWith([])
  try {
    const response = await http.inject({ method: 'POST', url: '/api/things', headers: { origin: SHOP }, payload: {} })
    assert.equal(response.statusCode, 200)
    assert.equal(response.headers['access-control-allow-origin'], undefined)
    const preflight = await http.inject({
      method: 'OPTIONS',
      url: '/api/things',
      headers: { origin: SHOP, 'access-control-request-method': 'POST' },
    })
    assert.equal(preflight.headers['access-control-allow-origin'], undefined)
  } finally {
    await http.close()
  }
})
