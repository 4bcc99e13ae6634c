import type { Db } from '../../infra/db/database.ts'
import { invalid } from '../../infra/errors.ts'
import { type PruneLog, type PruneSchedule, schedulePruning } from '../../infra/prune-schedule.ts'
import * as repo from './activity.repository.ts'

export interface PruneViewsOptions {
  olderThanDays: number
  /** views per DELETE statement (default 1000) */
  batchSize?: number
  /** stops between batches (shutdown) */
  signal?: AbortSignal
  /** hears after each batch how many have gone so far */
  onBatch?: (deleted: number) => void
}

/**
 * Deletes the views older than `olderThanDays` and answers how many went. Each batch is one
 * statement outside any transaction, so it commits at once and never holds locks for long.
 */
export async function pruneOldViews(db: Db, options: PruneViewsOptions): Promise<number> {
  const { olderThanDays, batchSize = 1000 } = options
  if (!Number.isInteger(olderThanDays) || olderThanDays < 0) {
    throw invalid('ACTIVITY_INVALID_RETENTION', `The age is a whole number of days, got ${olderThanDays}.`, { field: 'olderThanDays' })
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw invalid('ACTIVITY_INVALID_PRUNE_BATCH_SIZE', `The batch size is a whole number of at least 1, got ${batchSize}.`, { field: 'batchSize' })
  }
  let total = 0
  for (;;) {
    const deleted = await repo.deleteOldViews(db.primary, olderThanDays, batchSize)
    total += deleted
    options.onBatch?.(total)
    if (deleted < batchSize || options.signal?.aborted) return total
  }
}

/** Prunes views older than `olderThanDays` now and then every `intervalMs` (default an hour), in the background. */
export function scheduleViewPruning(db: Db, options: { olderThanDays: number; log: PruneLog; intervalMs?: number }): PruneSchedule {
  return schedulePruning({
    what: 'old product views',
    log: options.log,
    details: { olderThanDays: options.olderThanDays },
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    prune: (signal) => pruneOldViews(db, { olderThanDays: options.olderThanDays, signal }),
  })
}
