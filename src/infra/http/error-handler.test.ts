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

test('an unexpected error is a 500 with the masked body only, and is logged with its details', async () => {
  const { http, logged } = await failingServer()
  try {
    for (const url of ['/boom', '/type-error']) {
      const response = await http.inject({ method: 'GET', url })
      assert.equal(response.statusCode, 500)
      assert.deepEqual(response.json(), {
        error: { code: 'INTERNAL', message: 'Something went wrong on our side. It has been logged.' },
      })
      assert.doesNotMatch(response.body, /ECONNREFUSED|hunter2|TypeError|null/)
    }
    assert.equal(logged.filter((line) => line.includes('unhandled error')).length, 2)
    assert.ok(logged.some((line) => line.includes('ECONNREFUSED')), 'the log keeps what the response hides')
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
  } finally {
    await http.close()
  }
})
