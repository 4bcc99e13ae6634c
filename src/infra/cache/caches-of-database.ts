/**
 * Which caches hold entries read from which database, so that a database emptied under running
 * services (the tests reset theirs between cases, restarting ids) can drop what those caches
 * remember of it. In production the same need is `brisk cache clear`, after a restore.
 */
import type { Cache } from './cache.ts'

const cachesOf = new WeakMap<object, Set<WeakRef<Cache>>>()

/** `cache` holds entries loaded from `db`. */
export function cacheReads(db: object, cache: Cache): void {
  let caches = cachesOf.get(db)
  if (caches === undefined) {
    caches = new Set()
    cachesOf.set(db, caches)
  }
  for (const ref of caches) if (ref.deref() === cache) return
  caches.add(new WeakRef(cache))
}

/** Empties the memory tier of every live cache reading `db`. */
export function forgetCachedEntriesOf(db: object): void {
  for (const ref of cachesOf.get(db) ?? []) ref.deref()?.clearMemory()
}
