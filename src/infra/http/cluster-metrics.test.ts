import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors.ts'
import { Counter, Gauge } from 'prom-client'
import {
  type ClusterWorker,
  createClusterMetrics,
  type MetricsMessage,
  renderMetricsThroughPrimary,
  WORKER_LABEL,
} from './cluster-metrics.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { parsePrometheusText, sampleValue } from './prometheus-text.test-support.ts'

/** A request as observeRequest reads it: `statements` SQL statements sent. */
function request(route: string, statements: number): FastifyRequest {
  return { method: 'GET', routeOptions: { url: route }, queryStats: { count: statements, durationMs: 1 } } as unknown as FastifyRequest
}

interface FakeWorker {
  metrics: Metrics
  /** The primary's end of its channel. */
  handle: ClusterWorker
}

/** What node:cluster's channel delivers of a message: a copy through JSON, later. */
function overTheChannel(deliver: (message: MetricsMessage) => void) {
  return (message: MetricsMessage) => {
    const copy = JSON.parse(JSON.stringify(message)) as MetricsMessage
    setImmediate(() => deliver(copy))
  }
}

/**
 * Workers and a primary in one process, wired as node:cluster wires them (messages copied through
 * JSON, delivered asynchronously); a `silent` worker never answers the primary.
 */
function fakeCluster(options: { silent?: number[]; workerAnswerMs?: number; primaryAnswerMs?: number } = {}) {
  const workers: FakeWorker[] = []
  const primary = createClusterMetrics(() => workers.map((w, i) => ({ label: String(i + 1), worker: w.handle })), options.workerAnswerMs)
  for (let i = 0; i < 2; i++) {
    const metrics = createMetrics()
    const listeners: ((message: unknown) => void)[] = []
    const toWorker = overTheChannel((message) => {
      for (const listener of listeners) listener(message)
    })
    const handle: ClusterWorker = {
      isConnected: () => true,
      send(message: MetricsMessage, callback?: (error: Error | null) => void) {
        if (!options.silent?.includes(i)) toWorker(message)
        callback?.(null)
        return true
      },
    }
    const channel = {
      send: overTheChannel((message) => primary.handle(handle, message)),
      on: (_event: 'message', listener: (message: unknown) => void) => listeners.push(listener),
    }
    renderMetricsThroughPrimary(metrics, channel, options.primaryAnswerMs)
    workers.push({ metrics, handle })
  }
  return { workers, primary }
}

test('a scrape on one worker sums every worker: request counts, buckets and statements; the primary adds its own families', async () => {
  const { workers, primary } = fakeCluster()
  const [first, second] = workers as [FakeWorker, FakeWorker]
  for (let i = 0; i < 3; i++) first.metrics.observeRequest(request('/api/products/:id', 1), 200, 2)
  for (let i = 0; i < 2; i++) second.metrics.observeRequest(request('/api/products/:id', 4), 200, 2)
  second.metrics.observeRequest(request('/api/tokens', 1), 201, 2)
  primary.countRestart()

  const families = parsePrometheusText(await second.metrics.render())
  const route = { method: 'GET', route: '/api/products/:id', status: '200' }
  assert.equal(sampleValue(families, 'brisk_http_request_duration_seconds_count', route), 5)
  assert.equal(sampleValue(families, 'brisk_http_request_duration_seconds_bucket', { ...route, le: '0.0025' }), 5)
  assert.equal(sampleValue(families, 'brisk_http_request_sql_statements_sum', route), 3 * 1 + 2 * 4)
  assert.equal(sampleValue(families, 'brisk_http_request_sql_statements_bucket', { ...route, le: '1' }), 3)
  assert.equal(sampleValue(families, 'brisk_http_request_duration_seconds_count', { route: '/api/tokens', status: '201' }), 1)
  assert.equal(sampleValue(families, 'brisk_cluster_workers', { state: 'running' }), 2)
  assert.equal(sampleValue(families, 'brisk_cluster_workers', { state: 'answered' }), 2)
  assert.equal(sampleValue(families, 'brisk_cluster_worker_restarts_total', {}), 1)

  // The other worker's scrape is the same sum; its own render() is not just its own figures.
  const again = parsePrometheusText(await first.metrics.render())
  assert.equal(sampleValue(again, 'brisk_http_request_duration_seconds_count', route), 5)
})

test('families the app registers later are combined by their aggregator; the process families are one series per worker', async () => {
  const { workers } = fakeCluster()
  workers.forEach((worker, i) => {
    // as the cache registers its families: read when scraped
    new Counter({
      name: 'test_lookups_total',
      help: 'lookups',
      labelNames: ['tier'],
      registers: [worker.metrics.registry],
      collect() {
        this.reset()
        this.inc({ tier: 'memory' }, 10 * (i + 1))
      },
    })
    new Gauge({ name: 'test_bytes', help: 'bytes', registers: [worker.metrics.registry] }).set(100 * (i + 1))
    new Gauge({ name: 'test_up', help: 'up', aggregator: 'min', registers: [worker.metrics.registry] }).set(i)
  })

  const families = parsePrometheusText(await workers[0]!.metrics.render())
  assert.equal(sampleValue(families, 'test_lookups_total', { tier: 'memory' }), 10 + 20)
  assert.equal(sampleValue(families, 'test_bytes', {}), 100 + 200)
  assert.equal(sampleValue(families, 'test_up', {}), 0, "a family's own aggregator (min) is used")

  const memory = families.get('process_resident_memory_bytes')?.samples ?? []
  assert.deepEqual(memory.map((s) => s.labels[WORKER_LABEL]).sort(), ['1', '2', 'primary'])
  assert.ok(memory.every((s) => s.value > 0))
  const versions = families.get('nodejs_version_info')?.samples ?? []
  assert.deepEqual(versions.map((s) => s.labels[WORKER_LABEL]).sort(), ['1', '2', 'primary'])
  const heap = families.get('nodejs_heap_space_size_used_bytes')?.samples ?? []
  assert.ok(heap.length >= 3 && heap.every((s) => s.labels[WORKER_LABEL] !== undefined && s.labels['space'] !== undefined))
})

test('NaN and infinite values reach the scrape as such, not as the null JSON makes of them', async () => {
  const { workers } = fakeCluster()
  new Gauge({ name: 'test_mean', help: 'a mean of no samples', registers: [workers[0]!.metrics.registry] }).set(Number.NaN)
  new Gauge({ name: 'test_bound', help: 'no bound', registers: [workers[0]!.metrics.registry] }).set(Number.NEGATIVE_INFINITY)
  const families = parsePrometheusText(await workers[1]!.metrics.render())
  assert.ok(Number.isNaN(sampleValue(families, 'test_mean', {})))
  assert.equal(sampleValue(families, 'test_bound', {}), Number.NEGATIVE_INFINITY)
})

test('a worker that does not answer is left out of the scrape, which says so, instead of failing it', async () => {
  const { workers } = fakeCluster({ silent: [0], workerAnswerMs: 50 })
  workers[0]!.metrics.observeRequest(request('/api/things', 0), 200, 1)
  workers[1]!.metrics.observeRequest(request('/api/things', 0), 200, 1)
  const families = parsePrometheusText(await workers[1]!.metrics.render())
  assert.equal(sampleValue(families, 'brisk_http_request_duration_seconds_count', { route: '/api/things' }), 1)
  assert.equal(sampleValue(families, 'brisk_cluster_workers', { state: 'running' }), 2)
  assert.equal(sampleValue(families, 'brisk_cluster_workers', { state: 'answered' }), 1)
})

test('without an answer from the primary a scrape is a 503 METRICS_UNAVAILABLE, not a hang', async () => {
  const metrics = createMetrics()
  renderMetricsThroughPrimary(metrics, { send: () => true, on: () => {} }, 30)
  const error = await metrics.render().then(
    () => undefined,
    (e: unknown) => e,
  )
  assert.ok(error instanceof AppError)
  assert.equal(error.kind, 'unavailable')
  assert.equal(error.code, 'METRICS_UNAVAILABLE')
  assert.match(error.message, /did not send the workers' metrics within 30 ms/)
})
