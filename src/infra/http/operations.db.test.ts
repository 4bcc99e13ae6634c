import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createToken } from '../../../test/factories.ts'
import { describeEachDatabase } from '../../../test/db.ts'
import { buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import { parsePrometheusText, sampleValue } from './prometheus-text.test-support.ts'

describeEachDatabase('health and metrics in the composed app', (ctx) => {
  const appOf = () => buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })

  test('/health/ready says only ok to anyone; where the database is shows only to an admin', async () => {
    const app = await appOf()
    try {
      const ready = await app.http.inject({ method: 'GET', url: '/health/ready' })
      assert.equal(ready.statusCode, 200)
      assert.deepEqual(ready.json(), { status: 'ok' })
      assert.ok(!ready.body.includes(ctx.db.description))
      assert.doesNotMatch(ready.body, /127\.0\.0\.1|5432|PGlite|\//)

      const cashier = await createToken(ctx.db, 'cashier')
      const admin = await createToken(ctx.db, 'admin')
      const detailsAs = (authorization?: string) =>
        app.http.inject({ method: 'GET', url: '/health/details', headers: authorization ? { authorization } : {} })
      assert.equal((await detailsAs()).statusCode, 401)
      assert.equal((await detailsAs(cashier.authorization)).statusCode, 403)
      const details = await detailsAs(admin.authorization)
      assert.equal(details.statusCode, 200)
      const { status, database } = details.json()
      assert.equal(status, 'ok')
      assert.equal(database.kind, ctx.kind)
      assert.equal(database.description, ctx.db.description)
      assert.equal(typeof database.latencyMs, 'number')
      assert.equal(database.pool !== undefined, ctx.kind === 'postgres', 'pool figures where there is a pool')
    } finally {
      await app.close()
    }
  })

  test('a query value outside its list is a 400 naming the allowed values (top products by revenue)', async () => {
    const app = await appOf()
    try {
      const url = '/api/reports/sales/top-products?locationId=1&from=2026-01-01&by=revenue'
      const response = await app.http.inject({ method: 'GET', url })
      assert.equal(response.statusCode, 400)
      assert.deepEqual(response.json().error.details, [
        { in: 'query', field: '/by', message: 'must be one of: total, quantity', allowed: ['total', 'quantity'] },
      ])
    } finally {
      await app.close()
    }
  })

  test('/metrics needs an admin token and counts a real request with its statements and the pool', async () => {
    const app = await appOf()
    try {
      const admin = await createToken(ctx.db, 'admin')
      const headers = { authorization: admin.authorization }
      const locations = await app.http.inject({ method: 'GET', url: '/api/locations', headers })
      assert.equal(locations.statusCode, 200)
      const statements = Number(/db;desc="(\d+) statements?"/.exec(String(locations.headers['server-timing']))?.[1])
      assert.ok(statements >= 1)

      assert.equal((await app.http.inject({ method: 'GET', url: '/metrics' })).statusCode, 401)
      const scraped = await app.http.inject({ method: 'GET', url: '/metrics', headers })
      assert.equal(scraped.statusCode, 200)
      const families = parsePrometheusText(scraped.body)
      const route = { method: 'GET', route: '/api/locations', status: '200' }
      assert.equal(sampleValue(families, 'brisk_http_request_duration_seconds_count', route), 1)
      assert.equal(sampleValue(families, 'brisk_http_request_sql_statements_sum', route), statements)
      assert.ok(sampleValue(families, 'brisk_http_request_db_seconds_sum', route)! > 0)
      if (ctx.kind === 'postgres') {
        assert.ok(sampleValue(families, 'brisk_db_pool_connections', { pool: 'primary', state: 'idle' })! >= 1)
        assert.equal(sampleValue(families, 'brisk_db_pool_waiting_requests', { pool: 'primary' }), 0)
      } else {
        assert.equal(families.has('brisk_db_pool_connections'), false, 'PGlite has one connection, no pool')
      }
    } finally {
      await app.close()
    }
  })
})
