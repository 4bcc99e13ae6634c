/**
 * One worker of `brisk serve --workers N` (see serve-primary.ts): the app on the shared port, told
 * by its primary when to run the background jobs and when to stop.
 */
import type { BriskApp } from '../app.ts'
import type { Config } from '../config/config.ts'
import { type PrimaryChannel, renderMetricsThroughPrimary } from '../infra/http/cluster-metrics.ts'
import { stopOnSignals } from './serve.ts'

/** From the primary to a worker. */
export type ToWorker =
  /** Drain and exit, as on a signal (`signal` is logged as the signal). */
  | { type: 'brisk:stop'; signal: string }
  /** One worker at a time runs them (idempotency-key pruning): the one the primary picks. */
  | { type: 'brisk:start-background-jobs' }

/** From a worker to the primary. */
export type ToPrimary = { type: 'brisk:ready'; url: string }

/** Names the worker that answered (its pid) on every response, in a cluster only. */
export const WORKER_HEADER = 'x-brisk-worker'

export async function serveWorker(config: Config): Promise<void> {
  const signals = stopOnSignals(config.shutdownTimeoutMs)
  let app: BriskApp | undefined
  process.on('message', (message: ToWorker) => {
    if (message.type === 'brisk:stop') signals.stop(message.signal)
    // sent once this worker said it is ready: built and listening
    else if (message.type === 'brisk:start-background-jobs') app?.startBackgroundJobs()
  })
  const { buildApp } = await import('../app.ts')
  // The primary migrated (and seeded) before it started the workers.
  app = await buildApp(config, { migrate: false })
  try {
    renderMetricsThroughPrimary(app.http.metrics, process as unknown as PrimaryChannel)
    const pid = String(process.pid)
    app.http.addHook('onSend', (_request, reply, payload, done) => {
      reply.header(WORKER_HEADER, pid)
      done(null, payload)
    })
    if (!signals.stopping) {
      const url = await app.http.listen({ port: config.port, host: config.host })
      process.send?.({ type: 'brisk:ready', url } satisfies ToPrimary)
    }
  } catch (error) {
    await app.close()
    throw error
  }
  await signals.attach(app)
}
