import type { Cache } from '../../infra/cache/cache.ts'
import type { Db } from '../../infra/db/database.ts'
import { catalogCacheOf } from '../catalog/index.ts'
import { createCarts } from './orders.carts.ts'

/** Carts now; checkout and orders will join them here. */
export function createOrdersService(db: Db, options: { cache: Cache; cartTtlHours: number }) {
  return { ...createCarts(db, { catalog: catalogCacheOf(options.cache, db), cartTtlHours: options.cartTtlHours }) }
}

export type OrdersService = ReturnType<typeof createOrdersService>
