import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { loadConfig } from '../../config/config.ts'
import { conflict } from '../errors.ts'
import { createHttpServer } from './server.ts'

/** A server whose log lines are kept, with routes that fail in the ways a handler can. */
async function failingServer() {
  const logged: string[] = []
  const http = await createHttpServer(loadConfig({}, { logLevel: 'error' }), {
    logStream: new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk))
        done()
      },
    }),
  })
  http.get('/boom', async () => {
    throw new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2')
  })
  http.get('/type-error', async () => (null as unknown as { id: number }).id)
  http.get('/conflict', async () => {
    throw conflict('SALES_SOMETHING', 'A readable reason.', { line: 2 })
  })
  return { http, logged }
}

test('an unexpected error is a 500 with the masked body and its request id, and is logged with its details', async () => {
  const { http, logged } = await failingServer()
  try {
    for (const url of ['/boom', '/type-error']) {
      const response = await http.inject({ method: 'GET', url })
      assert.equal(response.statusCode, 500)
      const requestId = String(response.headers['x-request-id'])
      assert.match(requestId, /^[0-9a-f-]{36}$/, 'a generated id')
      assert.deepEqual(response.json(), {
        error: {
          code: 'INTERNAL',
          message: `Something went wrong on our side. It has been logged with request id ${requestId}.`,
          details: { requestId },
        },
      })
      assert.doesNotMatch(response.body, /ECONNREFUSED|hunter2|TypeError|null/)
      const line = logged.map((l) => JSON.parse(l)).find((l) => l.msg === 'unhandled error' && l.reqId === requestId)
      assert.ok(line, 'the logged error carries the id the body shows')
    }
    assert.equal(logged.filter((line) => line.includes('unhandled error')).length, 2)
    assert.ok(logged.some((line) => line.includes('ECONNREFUSED')), 'the log keeps what the response hides')
  } finally {
    await http.close()
  }
})

test('an incoming x-request-id is kept when printable and at most 128 characters, else replaced', async () => {
  const { http, logged } = await failingServer()
  try {
    const kept = await http.inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'till-7/abc 123' } })
    assert.equal(kept.headers['x-request-id'], 'till-7/abc 123')
    assert.equal(kept.json().error.details.requestId, 'till-7/abc 123')
    assert.ok(logged.some((l) => JSON.parse(l).reqId === 'till-7/abc 123'), 'the log line has the caller\'s id')

    const longest = 'r'.repeat(128)
    const fine = await http.inject({ method: 'GET', url: '/conflict', headers: { 'x-request-id': longest } })
    assert.equal(fine.headers['x-request-id'], longest, 'every response carries it, not only a 500')
    for (const refused of ['r'.repeat(129), 'caf\u00e9', 'a\u0007b']) {
      const response = await http.inject({ method: 'GET', url: '/nothing', headers: { 'x-request-id': refused } })
      assert.equal(response.statusCode, 404)
      assert.match(String(response.headers['x-request-id']), /^[0-9a-f-]{36}$/, JSON.stringify(refused))
    }
  } finally {
    await http.close()
  }
})

test('an AppError keeps its code, message and details; an unknown route is a 404 naming it', async () => {
  const { http } = await failingServer()
  try {
    const refused = await http.inject({ method: 'GET', url: '/conflict' })
    assert.equal(refused.statusCode, 409)
    assert.deepEqual(refused.json(), { error: { code: 'SALES_SOMETHING', message: 'A readable reason.', details: { line: 2 } } })
    const missing = await http.inject({ method: 'POST', url: '/api/nothing-here?token=secret' })
    assert.equal(missing.statusCode, 404)
    assert.deepEqual(missing.json(), { error: { code: 'ROUTE_NOT_FOUND', message: 'No route POST /api/nothing-here' } })
    const malformed = await http.inject({ method: 'GET', url: '/conflict/%E0%A4%A', headers: { 'x-request-id': 'bad-url' } })
    assert.equal(malformed.statusCode, 400)
    assert.equal(malformed.json().error.code, 'BAD_URL', 'what fails before routing has the same body shape')
    assert.equal(malformed.headers['x-request-id'], 'bad-url')
  } finally {
    await http.close()
  }
})
