import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../config/config.ts'
import type { PoolStats } from '../db/database.ts'
import { recordStatement } from '../db/query-stats.ts'
import { forbidden } from '../errors.ts'
import { registerMetricsRoute } from './metrics.ts'
import { parsePrometheusText, sampleValue } from './prometheus-text.test-support.ts'
import { createHttpServer } from './server.ts'

const OPERATOR = { authorization: 'Bearer operator' }

/** A server with a route that "sends" three statements, and /metrics for callers with the operator header. */
async function meteredServer(pool?: PoolStats) {
  const http = await createHttpServer(loadConfig({}, { logLevel: 'silent' }))
  http.get('/api/things/:id', async () => {
    for (const ms of [1, 2, 4]) recordStatement('select 1', ms)
    return { ok: true }
  })
  registerMetricsRoute(http, pool ? { poolStats: () => pool } : {}, (request) => {
    if (request.headers.authorization !== OPERATOR.authorization) throw forbidden('NOT_OPERATOR', 'Operators only.')
  })
  const scrape = async () => {
    const response = await http.inject({ method: 'GET', url: '/metrics', headers: OPERATOR })
    assert.equal(response.statusCode, 200)
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/)
    return parsePrometheusText(response.body)
  }
  return { http, scrape }
}

test('/metrics counts requests by route pattern and status, with their statements and database time', async () => {
  const { http, scrape } = await meteredServer()
  try {
    for (const url of ['/api/things/1', '/api/things/2', '/api/things/x?secret=1']) {
      assert.equal((await http.inject({ method: 'GET', url })).statusCode, 200)
    }
    await http.inject({ method: 'GET', url: '/no/such/thing' })
    const families = await scrape()

    const route = { method: 'GET', route: '/api/things/:id', status: '200' }
    assert.equal(sampleValue(families, 'brisk_http_request_duration_seconds_count', route), 3)
    assert.equal(sampleValue(families, 'brisk_http_request_duration_seconds_bucket', { ...route, le: '+Inf' }), 3)
    assert.ok(sampleValue(families, 'brisk_http_request_duration_seconds_sum', route)! > 0)
    assert.equal(sampleValue(families, 'brisk_http_request_sql_statements_sum', route), 9)
    assert.equal(sampleValue(families, 'brisk_http_request_sql_statements_bucket', { ...route, le: '2' }), 0)
    assert.equal(sampleValue(families, 'brisk_http_request_sql_statements_bucket', { ...route, le: '3' }), 3)
    assert.ok(Math.abs(sampleValue(families, 'brisk_http_request_db_seconds_sum', route)! - 0.021) < 1e-9)
    assert.equal(sampleValue(families, 'brisk_http_request_duration_seconds_count', { route: 'unmatched', status: '404' }), 1)

    const routes = new Set(families.get('brisk_http_request_duration_seconds')!.samples.map((s) => s.labels['route']))
    assert.deepEqual([...routes].sort(), ['/api/things/:id', 'unmatched'], 'route patterns only, never a raw URL')

    for (const name of [
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_gc_duration_seconds',
    ]) {
      assert.ok(families.has(name), `${name} is exposed`)
    }
    assert.ok(sampleValue(families, 'process_resident_memory_bytes', {})! > 0)
    assert.equal(families.has('brisk_db_pool_connections'), false, 'no pool, no pool families')
  } finally {
    await http.close()
  }
})

test('each app counts its own requests, and a scrape is counted as a request to /metrics', async () => {
  const first = await meteredServer()
  const second = await meteredServer()
  try {
    await first.http.inject({ method: 'GET', url: '/api/things/1' })
    const route = { route: '/api/things/:id', status: '200' }
    assert.equal(sampleValue(await second.scrape(), 'brisk_http_request_duration_seconds_count', route), undefined)
    const families = await first.scrape()
    assert.equal(sampleValue(families, 'brisk_http_request_duration_seconds_count', route), 1)
    // The scrape in progress is counted when its response ends: the second scrape sees the first.
    const again = await second.scrape()
    assert.equal(sampleValue(again, 'brisk_http_request_duration_seconds_count', { route: '/metrics', status: '200' }), 1)
  } finally {
    await first.http.close()
    await second.http.close()
  }
})

test('pool figures are read when scraped; /metrics refuses callers the composition root does not allow', async () => {
  const pool = { total: 4, idle: 1, waiting: 2, max: 10 }
  const { http, scrape } = await meteredServer(pool)
  try {
    let families = await scrape()
    assert.equal(sampleValue(families, 'brisk_db_pool_connections', { pool: 'primary', state: 'idle' }), 1)
    assert.equal(sampleValue(families, 'brisk_db_pool_connections', { pool: 'primary', state: 'in_use' }), 3)
    assert.equal(sampleValue(families, 'brisk_db_pool_waiting_requests', { pool: 'primary' }), 2)
    assert.equal(sampleValue(families, 'brisk_db_pool_max_connections', { pool: 'primary' }), 10)
    pool.waiting = 0
    families = await scrape()
    assert.equal(sampleValue(families, 'brisk_db_pool_waiting_requests', { pool: 'primary' }), 0)

    const refused = await http.inject({ method: 'GET', url: '/metrics' })
    assert.equal(refused.statusCode, 403)
    assert.equal(refused.json().error.code, 'NOT_OPERATOR')
  } finally {
    await http.close()
  }
})
