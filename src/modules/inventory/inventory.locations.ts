/**
 * Locations on the cache tiers: one shared object per location and one entry with every id, from
 * which the list is assembled. Location writes evict here after their commits (`evictLocations`).
 */
import type { Cache } from '../../infra/cache/cache.ts'
import { cacheReads } from '../../infra/cache/caches-of-database.ts'
import type { Db } from '../../infra/db/database.ts'
import { notFound } from '../../infra/errors.ts'
import * as repo from './inventory.repository.ts'
import type { LocationRow } from './inventory.tables.ts'

export function toLocation(row: LocationRow) {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    kind: row.kind,
    allowNegativeStock: row.allow_negative_stock,
    sellsOnline: row.sells_online,
    onlinePriority: row.online_priority,
    createdAt: row.created_at.toISOString(),
  }
}

export type Location = ReturnType<typeof toLocation>

declare module '../../infra/cache/cache-keys.ts' {
  interface CachedValues {
    location: Location
    locationIds: readonly number[]
  }
}

const ALL = 'all'

/** The cached reads and the evictions of locations; loads read the primary (a lagging copy would be cached). */
export function locationsOn(cache: Cache, db: Db) {
  cacheReads(db, cache)
  cache.register('location', {
    async load(ids) {
      const rows = await repo.findLocationsByIds(db.primary, ids.map(Number))
      return new Map(rows.map((row) => [row.id, toLocation(row)]))
    },
    notFound: (id) => notFound('INVENTORY_UNKNOWN_LOCATION', `Unknown location: ${id}.`, { missing: [Number(id)] }),
  })
  cache.register('locationIds', {
    async load() {
      return new Map([[ALL, (await repo.listLocationIds(db.primary)).map((row) => row.id)]])
    },
    notFound: () => new Error('the list of location ids is always found'),
  })

  return {
    async list(): Promise<Location[]> {
      const ids = await cache.getCachedDoc('locationIds', ALL)
      const found = await cache.findCachedDocs('location', ids)
      return ids.flatMap((id) => found.get(id) ?? [])
    },

    /** Refuses ids that name no location, naming them all. */
    async requireAll(ids: readonly number[]): Promise<void> {
      const found = await cache.findCachedDocs('location', ids)
      const missing = ids.filter((id) => !found.has(id))
      if (missing.length > 0) throw notFound('INVENTORY_UNKNOWN_LOCATION', `Unknown location: ${missing.join(', ')}.`, { missing })
    },

    /** After a commit that created or changed these locations. */
    evict: (ids: readonly number[]) =>
      cache.evictMany([
        { kind: 'location', ids },
        { kind: 'locationIds', ids: [ALL] },
      ]),
  }
}
