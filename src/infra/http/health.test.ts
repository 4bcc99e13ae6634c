import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../config/config.ts'
import { connectPostgres } from '../db/connect.ts'
import { forbidden } from '../errors.ts'
import { registerHealthRoutes } from './health.ts'
import { createHttpServer } from './server.ts'

test('with the database down, /health/ready is a bare 503 and the details say why to an allowed caller', async () => {
  // Nothing listens on port 1: every connection is refused at once.
  const db = connectPostgres({ url: 'postgres://brisk@127.0.0.1:1/brisk', poolSize: 1, statementTimeoutMs: 0 })
  const http = await createHttpServer(loadConfig({}, { logLevel: 'silent' }))
  registerHealthRoutes(http, db, {
    authorizeDetails: (request) => {
      if (request.headers.authorization !== 'Bearer operator') throw forbidden('NOT_OPERATOR', 'Operators only.')
    },
  })
  try {
    assert.deepEqual((await http.inject({ method: 'GET', url: '/health/live' })).json(), { status: 'ok' })
    const ready = await http.inject({ method: 'GET', url: '/health/ready' })
    assert.equal(ready.statusCode, 503)
    assert.deepEqual(ready.json(), { status: 'unavailable' })

    assert.equal((await http.inject({ method: 'GET', url: '/health/details' })).statusCode, 403)
    const details = await http.inject({ method: 'GET', url: '/health/details', headers: { authorization: 'Bearer operator' } })
    assert.equal(details.statusCode, 503)
    const body = details.json()
    assert.equal(body.status, 'unavailable')
    assert.equal(body.database.description, 'PostgreSQL 127.0.0.1:1/brisk')
    assert.equal(body.database.latencyMs, null)
    assert.match(body.database.error, /ECONNREFUSED/)
    assert.deepEqual(body.database.pool, { total: 0, idle: 0, waiting: 0, max: 1 })
  } finally {
    await http.close()
    await db.close()
  }
})
