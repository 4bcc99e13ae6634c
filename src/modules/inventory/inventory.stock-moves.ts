/**
 * Who wants to know that stock moved: the writers that move it tell, after their commit, the ids
 * of the products concerned — ids they hold already, so telling costs no statement — and the
 * listeners (the storefront's badge watcher) decide what to re-read, later and off the hot path.
 * Listeners are per database, so two apps in one process (tests) do not hear each other; a
 * listener that throws never fails the write that told it.
 */
import type { Db } from '../../infra/db/database.ts'

export type StockMovedListener = (productIds: readonly number[]) => void

const listenersByDb = new WeakMap<Db, Set<StockMovedListener>>()

/** Calls `listener` with the products whose stock a committed write of `db` moved; returns its unsubscribe. */
export function onStockMoved(db: Db, listener: StockMovedListener): () => void {
  let listeners = listenersByDb.get(db)
  if (listeners === undefined) {
    listeners = new Set()
    listenersByDb.set(db, listeners)
  }
  listeners.add(listener)
  return () => void listeners.delete(listener)
}

/** After the commit that moved the stock of these products (repeats are fine). */
export function notifyStockMoved(db: Db, productIds: readonly number[]): void {
  const listeners = listenersByDb.get(db)
  if (listeners === undefined || productIds.length === 0) return
  for (const listener of listeners) {
    try {
      listener(productIds)
    } catch {
      // the write is committed and answered; a listener's failure is its own
    }
  }
}

/** Passes a write's result through, telling the listeners what it moved (the ids read from the result). */
export function tellingStockMoved<R>(db: Db, movedBy: (result: R) => readonly number[]): <T extends R>(result: T) => T {
  return (result) => {
    if (listenersByDb.has(db)) notifyStockMoved(db, movedBy(result))
    return result
  }
}
