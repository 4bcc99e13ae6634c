import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, test } from 'node:test'
import Fastify, { type InjectOptions } from 'fastify'
import { Type } from 'typebox'
import { loadConfig } from '../../config/config.ts'
import { answerClientError } from './error-handler.ts'
import { IdParams } from './schemas.ts'
import { createHttpServer, type HttpServer } from './server.ts'

let http: HttpServer

before(async () => {
  http = await createHttpServer(loadConfig({}, { logLevel: 'silent', bodyLimitBytes: 1024 }))
  const Item = Type.Object({ name: Type.String() }, { additionalProperties: false })
  http.get('/items/:id', { schema: { params: IdParams } }, async () => ({ ok: true }))
  http.post('/items', { schema: { body: Item } }, async () => ({ ok: true }))
  http.get('/range', async () => {
    throw Object.assign(new Error('Range Not Satisfiable'), { statusCode: 416 })
  })
})

after(() => http.close())

/** Every error, the framework's own included, is `{ error: { code, message } }` and nothing else, with a request id. */
function assertStandard(response: { statusCode: number; body: string; headers: Record<string, unknown> }, status: number, code: string) {
  assert.equal(response.statusCode, status, response.body)
  const body = JSON.parse(response.body)
  assert.deepEqual(Object.keys(body), ['error'], response.body)
  assert.equal(body.error.code, code, response.body)
  assert.equal(typeof body.error.message, 'string')
  assert.match(String(response.headers['x-request-id']), /\S/)
}

test('every error the framework raises before or around a handler has the standard body', async () => {
  const json = { 'content-type': 'application/json' }
  const cases: [InjectOptions, number, string][] = [
    [{ method: 'GET', url: '/nowhere' }, 404, 'ROUTE_NOT_FOUND'],
    // Fastify answers an unknown method on a known path as an unknown route, not 405
    [{ method: 'DELETE', url: '/items/1' }, 404, 'ROUTE_NOT_FOUND'],
    [{ method: 'POST', url: '/items', headers: json, payload: JSON.stringify({ name: 'x'.repeat(2000) }) }, 413, 'BODY_TOO_LARGE'],
    [{ method: 'GET', url: `/items/${'1'.repeat(101)}` }, 414, 'URI_TOO_LONG'],
    [{ method: 'POST', url: '/items', headers: { 'content-type': 'text/xml' }, payload: '<a/>' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    [{ method: 'POST', url: '/items', headers: json, payload: '{"name":' }, 400, 'INVALID_JSON'],
    [{ method: 'POST', url: '/items', headers: json, payload: '' }, 400, 'INVALID_JSON'],
    [{ method: 'POST', url: '/items', headers: json, payload: '{"__proto__":{"admin":true}}' }, 400, 'INVALID_JSON'],
    [{ method: 'POST', url: '/items', headers: { ...json, 'content-length': '3' }, payload: '{"a":1}' }, 400, 'INVALID_CONTENT_LENGTH'],
    [{ method: 'GET', url: '/items/%E0%A4%A' }, 400, 'BAD_URL'],
    [{ method: 'GET', url: '/items/abc' }, 400, 'VALIDATION_FAILED'],
    [{ method: 'GET', url: '/range' }, 416, 'RANGE_NOT_SATISFIABLE'],
  ]
  for (const [request, status, code] of cases) assertStandard(await http.inject(request), status, code)
  const long = await http.inject({ method: 'GET', url: `/items/${'1'.repeat(5000)}` })
  assert.ok(long.body.length < 300, 'the 414 does not repeat the path')
})

/** Sends raw bytes to a server using answerClientError and reads the whole answer. */
interface RawResponse {
  statusCode: number
  headers: Record<string, string>
  body: string
}

async function rawExchange(port: number, request: string): Promise<RawResponse> {
  const socket = connect(port, '127.0.0.1')
  let text = ''
  socket.on('data', (chunk) => {
    text += String(chunk)
  })
  socket.write(request)
  await new Promise((resolve) => socket.on('close', resolve))
  const [head = '', body = ''] = text.split('\r\n\r\n')
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
  return { statusCode: Number(statusLine.split(' ')[1]), headers, body }
}

test("what Node's HTTP parser refuses is answered in the standard shape by answerClientError", async () => {
  const server = Fastify({ clientErrorHandler: answerClientError })
  server.get('/', async () => ({ ok: true }))
  await server.listen({ port: 0, host: '127.0.0.1' })
  try {
    const port = (server.server.address() as { port: number }).port
    assertStandard(await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n'), 400, 'BAD_REQUEST')
    assertStandard(await rawExchange(port, 'GET / HTTP/1.1\r\nhost: x\r\nx-key: a\u0000b\r\n\r\n'), 400, 'BAD_REQUEST')
    const big = `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`
    assertStandard(await rawExchange(port, big), 431, 'HEADERS_TOO_LARGE')
  } finally {
    await server.close()
  }

  // a request that is too slow: Node reports it on the socket after its requestTimeout
  let written = ''
  let destroyed = false
  const socket = {
    destroyed: false,
    writable: true,
    write: (text: string) => {
      written += text
      return true
    },
    destroy: () => {
      destroyed = true
    },
  }
  answerClientError(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket as never)
  assert.match(written, /^HTTP\/1\.1 408 Request Timeout\r\n/)
  assert.deepEqual(JSON.parse(written.split('\r\n\r\n')[1]!), {
    error: { code: 'REQUEST_TIMEOUT', message: 'The request was not received in time.' },
  })
  assert.ok(destroyed, 'the connection is closed')
})
