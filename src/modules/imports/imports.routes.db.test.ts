import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { after, before, test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { statementsOf } from '../../../test/expect-queries.ts'
import { addStock, createLocation, createProducts, createToken, stockOf } from '../../../test/factories.ts'
import { type BriskApp, buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import { parsePrometheusText, sampleValue } from '../../infra/http/prometheus-text.test-support.ts'

describeEachDatabase('imports over HTTP', (ctx) => {
  let app: BriskApp
  before(async () => {
    app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })
  })
  after(async () => {
    await app?.close()
  })

  /** /metrics' rows succeeded and failed, partial and running batches, of the stock imports. */
  async function batchMetrics(): Promise<number[]> {
    const { authorization } = await createToken(ctx.db, 'admin')
    const text = (await app.http.inject({ method: 'GET', url: '/metrics', headers: { authorization } })).body
    const families = parsePrometheusText(text)
    const operation = 'import.stock'
    return [
      sampleValue(families, 'brisk_batch_rows_total', { operation, outcome: 'succeeded' }) ?? 0,
      sampleValue(families, 'brisk_batch_rows_total', { operation, outcome: 'failed' }) ?? 0,
      sampleValue(families, 'brisk_batch_runs_total', { operation, status: 'partial' }) ?? 0,
      sampleValue(families, 'brisk_batch_running', { operation }) ?? 0,
    ]
  }

  /** A body that arrives in pieces, as a streamed upload does. */
  const streamed = (text: string) => Readable.from(text.match(/[\s\S]{1,40}/g) ?? [])
  const post = (url: string, authorization: string, contentType: string, body: string) =>
    app.http.inject({ method: 'POST', url, headers: { authorization, 'content-type': contentType }, payload: streamed(body) })

  test('a streamed stock count answers with its batch and figures; the batch is in the log', async () => {
    const { authorization } = await createToken(ctx.db, 'manager')
    const location = await createLocation(ctx.db)
    const products = await createProducts(ctx.db, 30)
    await addStock(ctx.db, location.id, [{ productId: products[0]!.id, quantity: '10' }])
    const body = `sku,quantity\n${products.map((p) => `${p.sku},12`).join('\n')}\nNOPE,1\n`
    const metricsBefore = await batchMetrics()
    const response = await post(`/api/imports/stock?locationId=${location.id}&chunkSize=10`, authorization, 'text/csv; charset=utf-8', body)
    assert.equal(response.statusCode, 200, response.body)
    const summary = response.json()
    assert.deepEqual(
      [summary.kind, summary.format, summary.rowsRead, summary.rowsWritten, summary.rowsRejected, summary.chunks],
      ['stock', 'csv', 31, 30, 1, 4],
    )
    assert.deepEqual(summary.rejects, [{ line: 31, field: 'sku', message: 'no product with SKU NOPE' }])
    assert.equal(Number(await stockOf(ctx.db, location.id, products[0]!.id)), 12)
    // the token, the location, the log opened with the run, 4 chunks of one statement, the log finished
    assert.equal(statementsOf(response), 1 + 1 + 1 + 4 + 1)
    const batch = await app.http.inject({ method: 'GET', url: `/api/batches/${summary.batchId}`, headers: { authorization } })
    assert.equal(batch.statusCode, 200, batch.body)
    assert.deepEqual(
      [batch.json().operation, batch.json().source, batch.json().chunks, batch.json().status, batch.json().rowsFailed],
      ['import.stock', 'http', 4, 'partial', 1],
    )
    // /metrics: the rows and the run, by operation
    const metricsAfter = await batchMetrics()
    assert.deepEqual(
      metricsAfter.map((value, i) => value - metricsBefore[i]!),
      [30, 1, 1, 0],
    )
  })

  test('JSON Lines views; a cashier is refused, a body that is not CSV or JSON Lines is refused, other content types get 415', async () => {
    const manager = await createToken(ctx.db, 'manager')
    const cashier = await createToken(ctx.db, 'cashier')
    const [p] = await createProducts(ctx.db, 1)
    const lines = `${JSON.stringify({ sku: p!.sku, sessionId: 'a' })}\n${JSON.stringify({ productId: p!.id, customerId: 3 })}\n`
    const ok = await post('/api/imports/views', manager.authorization, 'application/x-ndjson', lines)
    assert.equal(ok.statusCode, 200, ok.body)
    assert.deepEqual([ok.json().format, ok.json().rowsWritten, typeof ok.json().batchId], ['ndjson', 2, 'number'])
    const refused = await post('/api/imports/views', cashier.authorization, 'application/x-ndjson', lines)
    assert.equal(refused.statusCode, 403)
    const notData = await post('/api/imports/views', manager.authorization, 'text/csv', 'hello;world\n1;2\n')
    assert.equal(notData.statusCode, 422)
    assert.equal(notData.json().error.code, 'IMPORTS_UNKNOWN_FORMAT')
    const mislabelled = await post('/api/imports/views', manager.authorization, 'text/csv', lines)
    assert.equal(mislabelled.json().error.code, 'IMPORTS_UNKNOWN_FORMAT')
    const xml = await post('/api/imports/views', manager.authorization, 'application/xml', '<views/>')
    assert.equal(xml.statusCode, 415)
    const json = await app.http.inject({ method: 'POST', url: '/api/imports/views', headers: { authorization: manager.authorization }, payload: { sku: 'A' } })
    assert.deepEqual([json.statusCode, json.json().error.code], [422, 'IMPORTS_NOT_STREAMED'])
    const noLocation = await post('/api/imports/stock', manager.authorization, 'text/csv', 'sku,quantity\nA,1\n')
    assert.equal(noLocation.json().error.code, 'IMPORTS_LOCATION_REQUIRED')
  })
})
