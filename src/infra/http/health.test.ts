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

const url = process.env['BRISK_TEST_DATABASE_URL'] || undefined
const skip = url ? false : 'BRISK_TEST_DATABASE_URL is not set (CI sets it)'

/** The test PostgreSQL at another port (nothing listens on port 1) or with a setting of its own. */
function variantOf(changes: { port?: string; options?: string; password?: string }): string {
  const at = new URL(url!)
  if (changes.port) at.port = changes.port
  if (changes.password) at.password = changes.password
  if (changes.options) at.searchParams.set('options', changes.options)
  return at.toString()
}

/** Health routes over `primaryUrl` with these replicas (the test PostgreSQL playing a live one). */
async function healthOver(primaryUrl: string, replicaUrls: string[]) {
  const log = { warn() {}, info() {} }
  const replicas = { urls: replicaUrls, queryTimeoutMs: 1000, maxLagMs: 1000, checkIntervalMs: 60_000, log }
  const db = connectPostgres({ url: primaryUrl, poolSize: 2, statementTimeoutMs: 0, replicas })
  const http = await createHttpServer(loadConfig({}, { logLevel: 'silent' }))
  registerHealthRoutes(http, db, { authorizeDetails: () => {} })
  const get = (path: string) => http.inject({ method: 'GET', url: path })
  return {
    db,
    get,
    close: async () => {
      await http.close()
      await db.close()
      // db.close() leaves the replicas' pools open when nothing was read through db.reader (Kysely
      // starts, and so ends, its driver on first use): close the router itself
      await db.replicas?.close()
    },
  }
}

test('with replicas, /health/ready names each node and its state, never where it is; a dead replica leaves it ready', { skip }, async () => {
  const health = await healthOver(variantOf({ password: 'hunter2' }), [url!, variantOf({ port: '1', password: 'hunter2' })])
  try {
    await health.db.replicas!.checkLag()
    const ready = await health.get('/health/ready')
    assert.equal(ready.statusCode, 200)
    assert.deepEqual(ready.json(), {
      status: 'ok',
      nodes: [
        { name: 'primary', state: 'up' },
        { name: 'replica-1', state: 'up' },
        { name: 'replica-2', state: 'down' },
      ],
    })
    assert.doesNotMatch(ready.body, /127\.0\.0\.1|5432|hunter2|\//)

    const details = await health.get('/health/details')
    assert.equal(details.statusCode, 200)
    const body = details.json()
    assert.equal(body.database.state, 'up')
    assert.match(body.database.walLsn, /^[0-9A-F]+\/[0-9A-F]+$/)
    assert.equal(body.replicas.maxLagMs, 1000)
    assert.deepEqual(body.replicas.primaryReads, { replicas_down: 0, replicas_lagging: 0, read_your_writes: 0, fresh_required: 0 })
    const [live, dead] = body.replicas.nodes
    assert.deepEqual(
      { ...live, address: live.address.replace(/:\d+\//, ':PORT/') },
      { name: 'replica-1', address: 'PostgreSQL 127.0.0.1:PORT/test', state: 'up', reads: 0, failures: 0, lagBytes: 0, lagMs: 0, replayedLsn: null },
      'the test server is no replica: it has replayed nothing and lags by nothing',
    )
    assert.deepEqual(dead, {
      name: 'replica-2',
      address: 'PostgreSQL 127.0.0.1:1/test',
      state: 'down',
      reads: 0,
      failures: 1,
      lagBytes: null,
      lagMs: null,
      replayedLsn: null,
    })
    assert.doesNotMatch(details.body, /hunter2/)
  } finally {
    await health.close()
  }
})

test('with replicas, a dead primary makes /health/ready a 503 that still names the nodes', { skip }, async () => {
  const health = await healthOver(variantOf({ port: '1' }), [url!])
  try {
    const ready = await health.get('/health/ready')
    assert.equal(ready.statusCode, 503)
    assert.deepEqual(ready.json(), {
      status: 'unavailable',
      nodes: [
        { name: 'primary', state: 'down' },
        { name: 'replica-1', state: 'up' },
      ],
    })
  } finally {
    await health.close()
  }
})

test('a read-only primary is still ready (it serves reads) and says it is read-only', { skip }, async () => {
  const health = await healthOver(variantOf({ options: '-c default_transaction_read_only=on' }), [url!])
  try {
    const ready = await health.get('/health/ready')
    assert.equal(ready.statusCode, 200)
    assert.deepEqual(ready.json().nodes[0], { name: 'primary', state: 'read-only' })
    const details = await health.get('/health/details')
    assert.equal(details.statusCode, 200)
    assert.equal(details.json().database.state, 'read-only')
  } finally {
    await health.close()
  }
})
