import type { Db } from '../db/database.ts'
import { invalid } from '../errors.ts'
import * as repo from './idempotency.repository.ts'

const HOUR_MS = 3_600_000

export interface PruneIdempotencyKeysOptions {
  /** keys created more than this many hours ago are deleted */
  ttlHours: number
  /** keys per DELETE statement (default 1000) */
  batchSize?: number
  /** the clock, for tests */
  now?: Date
  /** stops between batches (shutdown) */
  signal?: AbortSignal
}

/**
 * Deletes every idempotency key older than the TTL and returns how many went. Each batch is its
 * own statement outside any transaction, so it commits at once and holds its row locks briefly,
 * and a large backlog never becomes one long delete.
 */
export async function pruneIdempotencyKeys(db: Db, options: PruneIdempotencyKeysOptions): Promise<number> {
  const { ttlHours, batchSize = 1000 } = options
  if (!(ttlHours >= 1)) throw invalid('IDEMPOTENCY_INVALID_PRUNE_TTL', `The TTL is at least 1 hour, got ${ttlHours}.`)
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw invalid('IDEMPOTENCY_INVALID_PRUNE_BATCH_SIZE', `The batch size is a whole number of at least 1, got ${batchSize}.`)
  }
  const olderThan = new Date((options.now ?? new Date()).getTime() - ttlHours * HOUR_MS)
  let total = 0
  for (;;) {
    const deleted = await repo.deleteExpiredIdempotencyKeys(db.primary, olderThan, batchSize)
    total += deleted
    if (deleted < batchSize || options.signal?.aborted) return total
  }
}

export interface PruneLog {
  info(details: object, message: string): void
  warn(details: object, message: string): void
}

export interface PruneSchedule {
  /** Clears the timer, and stops and awaits a run in progress (after its current batch). */
  stop(): Promise<void>
}

/**
 * Prunes expired idempotency keys now and then every `intervalMs` (default an hour) on an unref'd
 * timer, so it never keeps the process alive. Runs never overlap; a failed run is logged as a
 * warning and retried at the next tick, never thrown.
 */
export function scheduleIdempotencyKeyPruning(
  db: Db,
  options: { ttlHours: number; log: PruneLog; intervalMs?: number; batchSize?: number },
): PruneSchedule {
  const { ttlHours, log } = options
  const controller = new AbortController()
  let running: Promise<void> | undefined
  const run = () => {
    if (running || controller.signal.aborted) return
    const started = performance.now()
    running = pruneIdempotencyKeys(db, {
      ttlHours,
      signal: controller.signal,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    })
      .then((deleted) => {
        if (deleted > 0) {
          log.info({ deleted, ttlHours, ms: Math.round(performance.now() - started) }, 'pruned expired idempotency keys')
        }
      })
      .catch((err: unknown) => log.warn({ err }, 'pruning expired idempotency keys failed; retrying at the next interval'))
      .finally(() => {
        running = undefined
      })
  }
  const timer = setInterval(run, options.intervalMs ?? HOUR_MS)
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
