import type { Db } from '../../infra/db/database.ts'
import { invalid } from '../../infra/errors.ts'
import { type PruneLog, type PruneSchedule, schedulePruning } from '../../infra/prune-schedule.ts'
import * as repo from './orders.repository.ts'

export interface PruneExpiredCartsOptions {
  /** carts per DELETE statement (default 1000) */
  batchSize?: number
  /** stops between batches (shutdown) */
  signal?: AbortSignal
}

/**
 * Deletes every expired cart (and its lines) and answers how many went. Each batch is one
 * statement outside any transaction, so it commits at once and a backlog never becomes one long delete.
 */
export async function pruneExpiredCarts(db: Db, options: PruneExpiredCartsOptions = {}): Promise<number> {
  const { batchSize = 1000 } = options
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw invalid('ORDERS_INVALID_PRUNE_BATCH_SIZE', `The batch size is a whole number of at least 1, got ${batchSize}.`)
  }
  let total = 0
  for (;;) {
    const deleted = await repo.deleteExpiredCarts(db.primary, batchSize)
    total += deleted
    if (deleted < batchSize || options.signal?.aborted) return total
  }
}

/** Prunes expired carts now and then every `intervalMs` (default an hour), in the background (see prune-schedule.ts). */
export function scheduleCartPruning(db: Db, options: { log: PruneLog; intervalMs?: number }): PruneSchedule {
  return schedulePruning({
    what: 'expired carts',
    log: options.log,
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    prune: (signal) => pruneExpiredCarts(db, { signal }),
  })
}
