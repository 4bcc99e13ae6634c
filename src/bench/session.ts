import { performance } from 'node:perf_hooks'
import type { Config } from '../config/config.ts'
import type { Db } from '../infra/db/database.ts'
import { migrate } from '../infra/db/migrations.ts'
import { createProgress, type Progress } from './progress.ts'
import { type BenchDatabase, type BenchDatabaseOptions, openBenchDatabase } from './scratch.ts'

/** What a scenario's body works with. */
export interface BenchSession {
  db: Db
  /** the database's PostgreSQL URL (for `brisk serve` processes the bench starts); undefined on PGlite */
  url: string | undefined
  progress: Progress
  /** aborted by Ctrl+C (SIGINT) or SIGTERM: stop measuring and return */
  signal: AbortSignal
}

/** Prints the figures; called once the database is cleaned up, so they are the last thing shown. */
export type Report = () => void

export interface SessionOptions extends BenchDatabaseOptions {
  scenario: string
}

/**
 * Runs a scenario's body in a migrated scratch database (or --database), with a progress line on
 * stderr, and removes the scratch database afterwards: when the body returns, when it throws, and on
 * Ctrl+C. An interrupted run prints no figures and sets exit code 130.
 */
export async function runBenchSession(
  config: Config,
  options: SessionOptions,
  body: (session: BenchSession) => Promise<Report | undefined>,
): Promise<void> {
  const progress = createProgress(options.scenario)
  const controller = new AbortController()
  let target: BenchDatabase | undefined
  const stopListening = listenForInterrupt(controller, progress, () => target?.leftover)
  let report: Report | undefined
  try {
    target = await openBenchDatabase(config, options, progress)
    try {
      if (!controller.signal.aborted) {
        progress.phase('migrating')
        await migrate(target.db.primary)
      }
      if (!controller.signal.aborted) report = await body({ db: target.db, url: target.url, progress, signal: controller.signal })
    } finally {
      await target.dispose()
    }
  } finally {
    progress.stop()
    stopListening()
  }
  if (controller.signal.aborted) {
    console.error(`${options.scenario}: interrupted, no figures${target.leftover ? `; ${target.leftover} is removed` : ''}`)
    process.exitCode = 130
  } else {
    report?.()
  }
}

const SAME_INTERRUPT_MS = 1000

/**
 * The first signal aborts and lets the run clean up; a second one quits at once. One Ctrl+C may
 * arrive twice: the terminal signals the whole process group, and tsx relays it to us once more;
 * a harness's own exit hook (pg-cluster's cleanup-on-exit.ts) may raise it again after this listener.
 */
export function listenForInterrupt(controller: AbortController, progress: Progress, leftover: () => string | undefined): () => void {
  let first = 0
  const onSignal = () => {
    if (!controller.signal.aborted) {
      first = performance.now()
      // the check phase runs after every listener of this signal, before a raised one is read
      setImmediate(() => {
        first = performance.now()
      })
      progress.note('stopping: cleaning up (press Ctrl+C again to quit at once)')
      controller.abort()
    } else if (performance.now() - first >= SAME_INTERRUPT_MS) {
      const left = leftover()
      progress.stop()
      console.error(left ? `quitting without cleaning up: ${left} is left behind` : 'quitting')
      process.exit(130)
    }
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
