import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import pg from 'pg'
import { loadConfig } from '../../config/config.ts'
import { connectPostgres } from '../db/connect.ts'
import { DatabaseUnavailableError } from '../db/outage.ts'
import { createHttpServer } from './server.ts'

function serverError(code: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error')
  error.code = code
  return error
}

test('a database outage is a 503 with Retry-After and a stable code, logged as a warning; other errors stay 500', async () => {
  const logged: string[] = []
  const http = await createHttpServer(loadConfig({}, { logLevel: 'warn' }), { logStream: { write: (line) => logged.push(line) } })
  // Nothing listens on port 1: the real driver error for a server that is down.
  const down = connectPostgres({ url: 'postgres://brisk:hunter2@127.0.0.1:1/brisk', poolSize: 1, statementTimeoutMs: 0 })
  const failures: Record<string, () => Promise<unknown>> = {
    refused: () => sql`select 1`.execute(down.primary),
    'circuit-open': () => sql`select 1`.execute(down.primary),
    shutdown: async () => {
      throw serverError('57P01', 'terminating connection due to administrator command')
    },
    'cut-off': async () => {
      throw new Error('Connection terminated unexpectedly')
    },
    'pool-wait': async () => {
      throw new Error('timeout exceeded when trying to connect')
    },
    'unique-violation': async () => {
      throw serverError('23505', 'duplicate key value violates unique constraint "product_sku_key"')
    },
  }
  for (const [name, fail] of Object.entries(failures)) http.get(`/${name}`, fail)
  try {
    const answers: Record<string, { status: number; code: string }> = {}
    for (const name of Object.keys(failures)) {
      const response = await http.inject({ method: 'GET', url: `/${name}` })
      answers[name] = { status: response.statusCode, code: response.json().error.code }
      if (response.statusCode !== 503) continue
      const requestId = String(response.headers['x-request-id'])
      assert.equal(response.headers['retry-after'], '1', name)
      assert.deepEqual(response.json().error.details, { retryAfterSeconds: 1, requestId }, name)
      assert.match(response.json().error.message, /^The database is unavailable right now; try again in a moment\./)
      assert.doesNotMatch(response.body, /ECONNREFUSED|127\.0\.0\.1|hunter2|57P01|terminat/, `${name}: no internals`)
      const line = logged.map((l) => JSON.parse(l)).find((l) => l.reqId === requestId)
      assert.equal(line?.level, 40, `${name}: logged as a warning`)
      assert.equal(line?.msg, 'database unavailable')
    }
    const unavailable = { status: 503, code: 'DATABASE_UNAVAILABLE' }
    assert.deepEqual(answers, {
      refused: unavailable,
      'circuit-open': unavailable,
      shutdown: unavailable,
      'cut-off': unavailable,
      'pool-wait': unavailable,
      'unique-violation': { status: 500, code: 'INTERNAL' },
    })
    const circuitLine = logged.map((l) => JSON.parse(l)).find((l) => l.err?.type === DatabaseUnavailableError.name)
    assert.match(circuitLine?.err?.message ?? '', /connecting failed \d+ ms ago \(connect ECONNREFUSED 127\.0\.0\.1:1\)/)
  } finally {
    await http.close()
    await down.close()
  }
})
