/**
 * A background prune (expired idempotency keys, expired carts): run now, then every `intervalMs`
 * (default an hour) on an unref'd timer, so it never keeps the process alive. Runs never overlap;
 * a failed run is logged as a warning and retried at the next tick, never thrown.
 */
import { performance } from 'node:perf_hooks'

const HOUR_MS = 3_600_000

export interface PruneLog {
  info(details: object, message: string): void
  warn(details: object, message: string): void
}

export interface PruneSchedule {
  /** Clears the timer, and stops and awaits a run in progress (after its current batch). */
  stop(): Promise<void>
}

export interface PruneJob {
  /** deletes what is due, stopping between batches once `signal` aborts; answers how many rows went */
  prune(signal: AbortSignal): Promise<number>
  /** what is pruned, for the log lines: "expired carts" */
  what: string
  log: PruneLog
  /** logged with every line */
  details?: object
  intervalMs?: number
}

export function schedulePruning(job: PruneJob): PruneSchedule {
  const controller = new AbortController()
  let running: Promise<void> | undefined
  const run = () => {
    if (running || controller.signal.aborted) return
    const started = performance.now()
    running = job
      .prune(controller.signal)
      .then((deleted) => {
        if (deleted > 0) job.log.info({ ...job.details, deleted, ms: Math.round(performance.now() - started) }, `pruned ${job.what}`)
      })
      .catch((err: unknown) => job.log.warn({ ...job.details, err }, `pruning ${job.what} failed; retrying at the next interval`))
      .finally(() => {
        running = undefined
      })
  }
  const timer = setInterval(run, job.intervalMs ?? HOUR_MS)
  timer.unref()
  run()
  return {
    async stop() {
      clearInterval(timer)
      controller.abort()
      await running
    },
  }
}
