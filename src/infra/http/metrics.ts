import type { FastifyRequest } from 'fastify'
import { collectDefaultMetrics, Gauge, type Metric, Registry } from 'prom-client'
import { Type } from 'typebox'
import type { Db, PoolStats } from '../db/database.ts'
import { errorResponses } from './schemas.ts'
import type { HttpServer } from './server.ts'

/**
 * Families about the process (memory, CPU, event-loop lag, GC) live in one registry per process:
 * prom-client's collectors start an event-loop monitor and a GC observer that are never stopped,
 * so a test run building many apps must not start one per app.
 */
let processRegistry: Registry | undefined

/** This process's families (in a cluster's primary too, which has no app). */
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

/** Requests without a route (404s) share one label, so a scan of random URLs cannot add series. */
export const UNMATCHED_ROUTE = 'unmatched'

interface RequestSeries {
  readonly labels: { method: string; route: string; status: string }
  readonly counts: number[]
  sum: number
  count: number
}

/**
 * A histogram labelled by method, route pattern and status, found by one string key. prom-client's
 * own Histogram validates and hashes the labels on every observation (about 0.5 µs each, three per
 * request); this is a Map lookup. prom-client still renders it: a registry takes any object with
 * get() returning the samples.
 */
class RequestHistogram {
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  readonly #series = new Map<string, RequestSeries>()
  readonly name: string
  readonly help: string
  readonly upperBounds: readonly number[]

  constructor(name: string, help: string, upperBounds: readonly number[]) {
    this.name = name
    this.help = help
    this.upperBounds = upperBounds
  }

  observe(key: string, method: string, route: string, status: number, value: number): void {
    let series = this.#series.get(key)
    if (series === undefined) {
      series = { labels: { method, route, status: String(status) }, counts: this.upperBounds.map(() => 0), sum: 0, count: 0 }
      this.#series.set(key, series)
    }
    series.sum += value
    series.count += 1
    const bounds = this.upperBounds
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        series.counts[i]! += 1
        break
      }
    }
  }

  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = []
    for (const { labels, counts, sum, count } of this.#series.values()) {
      let cumulative = 0
      counts.forEach((n, i) => {
        cumulative += n
        values.push({ labels: { ...labels, le: this.upperBounds[i]! }, value: cumulative, metricName: `${this.name}_bucket` })
      })
      values.push({ labels: { ...labels, le: '+Inf' }, value: count, metricName: `${this.name}_bucket` })
      values.push({ labels, value: sum, metricName: `${this.name}_sum` })
      values.push({ labels, value: count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset(): void {
    this.#series.clear()
  }
}

export interface Metrics {
  /** This app's families; later work registers its own here (cache, replicas). */
  readonly registry: Registry
  observeRequest(request: FastifyRequest, status: number, elapsedMs: number): void
  /** The Prometheus text exposition of this app's and the process's families, or of every worker's (renderWith). */
  render(): Promise<string>
  /** This app's and the process's families as JSON: what a cluster's primary gathers from each worker. */
  snapshot(): Promise<MetricSnapshot>
  /** From now on render() returns what `gather` does: in a cluster worker, every worker's families (cluster-metrics.ts). */
  renderWith(gather: () => Promise<string>): void
}

export type MetricFamilies = Awaited<ReturnType<Registry['getMetricsAsJSON']>>

/**
 * Kept apart because a cluster combines them differently: the app's families are summed over the
 * workers (each family's aggregator), the process's are reported per worker.
 */
export interface MetricSnapshot {
  app: MetricFamilies
  process: MetricFamilies
}

/** A registry per app, so that tests building several apps in one process count separately. */
export function createMetrics(): Metrics {
  const registry = new Registry()
  const duration = new RequestHistogram(
    'brisk_http_request_duration_seconds',
    'HTTP requests by method, route pattern and status: latency in seconds (the _count is the number of requests).',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  )
  const statements = new RequestHistogram(
    'brisk_http_request_sql_statements',
    'SQL statements sent per HTTP request, by method, route pattern and status.',
    [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100],
  )
  const dbTime = new RequestHistogram(
    'brisk_http_request_db_seconds',
    'Time spent in the database per HTTP request, in seconds, by method, route pattern and status.',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  )
  for (const histogram of [duration, statements, dbTime]) registry.registerMetric(histogram as unknown as Metric)
  const perProcess = processMetrics()
  let render = async () => `${await registry.metrics()}\n${await perProcess.metrics()}`
  return {
    registry,
    observeRequest(request, status, elapsedMs) {
      const method = request.method
      const route = request.routeOptions.url ?? UNMATCHED_ROUTE
      const key = `${method} ${status} ${route}`
      duration.observe(key, method, route, status, elapsedMs / 1000)
      const stats = request.queryStats
      if (stats === undefined) return
      statements.observe(key, method, route, status, stats.count)
      dbTime.observe(key, method, route, status, stats.durationMs / 1000)
    },
    render: () => render(),
    snapshot: async () => ({ app: await registry.getMetricsAsJSON(), process: await perProcess.getMetricsAsJSON() }),
    renderWith(gather) {
      render = gather
    },
  }
}

/** Connection pool figures, read when scraped; `pool` names the pool (primary, later the replicas). */
export function addPoolMetrics(metrics: Metrics, pool: string, stats: () => PoolStats): void {
  const registers = [metrics.registry]
  const labelNames = ['pool', 'state'] as const
  new Gauge({
    name: 'brisk_db_pool_connections',
    help: 'Open database connections by pool and state (idle or in_use).',
    labelNames,
    registers,
    collect() {
      const now = stats()
      this.set({ pool, state: 'idle' }, now.idle)
      this.set({ pool, state: 'in_use' }, now.total - now.idle)
    },
  })
  new Gauge({
    name: 'brisk_db_pool_max_connections',
    help: 'The most connections a pool opens.',
    labelNames: ['pool'],
    registers,
    collect() {
      this.set({ pool }, stats().max)
    },
  })
  new Gauge({
    name: 'brisk_db_pool_waiting_requests',
    help: 'Queries waiting for a free connection, by pool: above zero, the pool is too small or a query too slow.',
    labelNames: ['pool'],
    registers,
    collect() {
      this.set({ pool }, stats().waiting)
    },
  })
}

/**
 * GET /metrics in the Prometheus text format. `authorize` throws (as the error handler expects)
 * when the caller may not read it: the composition root decides who may.
 */
export function registerMetricsRoute(
  app: HttpServer,
  db: Pick<Db, 'poolStats'>,
  authorize: (request: FastifyRequest) => void,
): void {
  if (db.poolStats) addPoolMetrics(app.metrics, 'primary', db.poolStats)
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics',
        response: {
          200: { description: 'The Prometheus text format', content: { 'text/plain': { schema: Type.String() } } },
          ...errorResponses(401, 403),
        },
        description:
          'Metrics in the Prometheus text format: HTTP requests by route and status with latency histograms, SQL ' +
          'statements and database time per request, connection pool use, event-loop lag, process memory; with replicas ' +
          '(BRISK_REPLICA_URLS), each replica\'s state and lag, the reads each node served and why the primary took some. Under ' +
          '`brisk serve --workers N` any worker answers for all: the app figures summed, the process figures per worker ' +
          '(a worker label). Needs an admin token.',
      },
    },
    async (request, reply) => {
      authorize(request)
      const text = await app.metrics.render()
      return reply.type(app.metrics.registry.contentType).send(text)
    },
  )
}
