import type { Db } from '../db/database.ts'
import { invalid } from '../errors.ts'
import { type PruneLog, type PruneSchedule, schedulePruning } from '../prune-schedule.ts'
import * as repo from './idempotency.repository.ts'

export type { PruneSchedule }

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

/**
 * Prunes expired idempotency keys now and then every `intervalMs` (default an hour), in the
 * background (see prune-schedule.ts).
 */
export function scheduleIdempotencyKeyPruning(
  db: Db,
  options: { ttlHours: number; log: PruneLog; intervalMs?: number; batchSize?: number },
): PruneSchedule {
  const { ttlHours } = options
  return schedulePruning({
    what: 'expired idempotency keys',
    log: options.log,
    details: { ttlHours },
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    prune: (signal) =>
      pruneIdempotencyKeys(db, { ttlHours, signal, ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }) }),
  })
}
