/**
 * /metrics for `brisk serve --workers N`. The shared port hands a scrape to one worker, and the
 * primary serves no HTTP, so that worker asks the primary over IPC; the primary asks every worker
 * for its families as JSON and combines them: the app's families (requests, pool, cache, replicas)
 * summed with prom-client's aggregators (counters and histograms summed, gauges by their family's
 * aggregator, sum unless it says otherwise: replica-metrics.ts says why its gauges are summed or
 * the largest), the process's families (memory, CPU, event loop, GC)
 * one series per worker with a `worker` label, the primary's own as worker="primary"; then its
 * cluster families (workers, restarts).
 */
import type { Worker } from 'node:cluster'
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client'
import { AppError } from '../errors.ts'
import { type MetricFamilies, type Metrics, type MetricSnapshot, processMetrics } from './metrics.ts'

/** A worker that has not sent its families by then is left out of the scrape (and the workers gauge says so). */
const WORKER_ANSWER_MS = 2000
/** How long the worker serving a scrape waits for the primary's sum. */
const PRIMARY_ANSWER_MS = 5000

export type MetricsMessage =
  | { type: 'brisk:metrics:gather'; id: number }
  | { type: 'brisk:metrics:gathered'; id: number; text?: string; error?: string }
  | { type: 'brisk:metrics:snapshot'; id: number }
  /** `snapshot` as encodeSnapshot() writes it */
  | { type: 'brisk:metrics:snapshot-reply'; id: number; snapshot?: string; error?: string }

function isMetricsMessage(message: unknown): message is MetricsMessage {
  const type = (message as { type?: unknown } | null)?.type
  return typeof type === 'string' && type.startsWith('brisk:metrics:')
}

const unavailableMetrics = (why: string) => new AppError('unavailable', 'METRICS_UNAVAILABLE', `No metrics: ${why}.`)

/**
 * The IPC channel carries JSON, which turns NaN and ±Infinity into null, and prom-client would
 * print null as +Inf: a gauge such as the event-loop lag mean is NaN when scraped twice within
 * 10 ms. Such numbers travel as {"nonFinite": "NaN"}.
 */
function encodeSnapshot(snapshot: MetricSnapshot): string {
  return JSON.stringify(snapshot, (_key, value) =>
    typeof value === 'number' && !Number.isFinite(value) ? { nonFinite: String(value) } : value,
  )
}

function decodeSnapshot(text: string): MetricSnapshot {
  return JSON.parse(text, (_key, value) =>
    typeof value === 'object' && value !== null && typeof value.nonFinite === 'string' && Object.keys(value).length === 1
      ? Number(value.nonFinite)
      : value,
  )
}

/** The IPC channel of a cluster worker to its primary (process, in a worker). */
export interface PrimaryChannel {
  send(message: MetricsMessage): unknown
  on(event: 'message', listener: (message: unknown) => void): unknown
}

/**
 * In a worker: answers the primary's requests for this process's families, and makes render()
 * return every worker's, gathered by the primary.
 */
export function renderMetricsThroughPrimary(
  metrics: Metrics,
  channel: PrimaryChannel,
  primaryAnswerMs = PRIMARY_ANSWER_MS,
): void {
  let nextId = 0
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>()
  channel.on('message', (message) => {
    if (!isMetricsMessage(message)) return
    if (message.type === 'brisk:metrics:snapshot') {
      metrics.snapshot().then(
        (snapshot) => channel.send({ type: 'brisk:metrics:snapshot-reply', id: message.id, snapshot: encodeSnapshot(snapshot) }),
        (error: Error) => channel.send({ type: 'brisk:metrics:snapshot-reply', id: message.id, error: error.message }),
      )
    } else if (message.type === 'brisk:metrics:gathered') {
      const request = waiting.get(message.id)
      waiting.delete(message.id)
      if (message.text !== undefined) request?.resolve(message.text)
      else request?.reject(unavailableMetrics(`the workers' metrics could not be gathered: ${message.error}`))
    }
  })
  metrics.renderWith(
    () =>
      new Promise<string>((resolve, reject) => {
        const id = nextId++
        const timer = setTimeout(() => {
          waiting.delete(id)
          reject(unavailableMetrics(`the primary process did not send the workers' metrics within ${primaryAnswerMs} ms`))
        }, primaryAnswerMs)
        waiting.set(id, {
          resolve: (text) => {
            clearTimeout(timer)
            resolve(text)
          },
          reject: (error) => {
            clearTimeout(timer)
            reject(error)
          },
        })
        channel.send({ type: 'brisk:metrics:gather', id })
      }),
  )
}

/** What the primary uses of a cluster worker. */
export type ClusterWorker = Pick<Worker, 'isConnected'> & {
  send(message: MetricsMessage, callback?: (error: Error | null) => void): unknown
}

/** A running worker and the value of its `worker` label: its slot (1 to N), kept by the worker started in its place. */
export interface LabelledWorker {
  label: string
  worker: ClusterWorker
}

/** The label name on the process families, one series per worker. */
export const WORKER_LABEL = 'worker'

/** `families` with every sample labelled worker=`label`; summing them adds nothing to another worker's series. */
function perWorker(families: MetricFamilies, label: string): MetricFamilies {
  return families.map((family) => ({
    ...family,
    aggregator: 'sum',
    values: family.values.map((value) => ({ ...value, labels: { ...value.labels, [WORKER_LABEL]: label } })),
  }))
}

/** Every worker's app families summed, their process families side by side, and the primary's process families. */
export async function combineSnapshots(snapshots: { label: string; snapshot: MetricSnapshot }[]): Promise<string> {
  const primary = perWorker(await processMetrics().getMetricsAsJSON(), 'primary')
  const families = [...snapshots.map((s) => s.snapshot.app), ...snapshots.map((s) => perWorker(s.snapshot.process, s.label)), primary]
  return AggregatorRegistry.aggregate(families).metrics()
}

export interface ClusterMetrics {
  /** Handles a worker's message if it is about metrics; returns whether it was. */
  handle(worker: ClusterWorker, message: unknown): boolean
  /** Counts a worker restarted after it died. */
  countRestart(): void
}

/** In the primary: answers the scrapes the workers pass on, over `workers()` (the ones running now). */
export function createClusterMetrics(workers: () => LabelledWorker[], workerAnswerMs = WORKER_ANSWER_MS): ClusterMetrics {
  const own = new Registry()
  const answered = new Gauge({
    name: 'brisk_cluster_workers',
    help: 'Worker processes by state: running, and answered (their figures are in this scrape).',
    labelNames: ['state'],
    registers: [own],
  })
  const restarts = new Counter({
    name: 'brisk_cluster_worker_restarts_total',
    help: 'Worker processes started again after one died.',
    registers: [own],
  })
  let nextId = 0
  const pending = new Map<number, (snapshot: MetricSnapshot | undefined) => void>()

  const snapshotOf = ({ label, worker }: LabelledWorker) =>
    new Promise<{ label: string; snapshot: MetricSnapshot } | undefined>((resolve) => {
      const id = nextId++
      const timer = setTimeout(() => finish(undefined), workerAnswerMs)
      const finish = (snapshot: MetricSnapshot | undefined) => {
        clearTimeout(timer)
        pending.delete(id)
        resolve(snapshot && { label, snapshot })
      }
      pending.set(id, finish)
      worker.send({ type: 'brisk:metrics:snapshot', id } satisfies MetricsMessage, (error) => {
        if (error) finish(undefined)
      })
    })

  const gather = async (): Promise<string> => {
    const running = workers()
    const snapshots = (await Promise.all(running.map(snapshotOf))).filter((s) => s !== undefined)
    answered.set({ state: 'running' }, running.length)
    answered.set({ state: 'answered' }, snapshots.length)
    return `${await combineSnapshots(snapshots)}\n${await own.metrics()}`
  }

  return {
    handle(worker, message) {
      if (!isMetricsMessage(message)) return false
      if (message.type === 'brisk:metrics:snapshot-reply') {
        pending.get(message.id)?.(message.snapshot === undefined ? undefined : decodeSnapshot(message.snapshot))
      } else if (message.type === 'brisk:metrics:gather') {
        const reply = (answer: { text?: string; error?: string }) => {
          if (worker.isConnected()) worker.send({ type: 'brisk:metrics:gathered', id: message.id, ...answer } satisfies MetricsMessage)
        }
        gather().then(
          (text) => reply({ text }),
          (error: Error) => reply({ error: error.message }),
        )
      }
      return true
    },
    countRestart: () => restarts.inc(),
  }
}
