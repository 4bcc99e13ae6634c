import type { Cache } from '../../infra/cache/cache.ts'
import type { Db } from '../../infra/db/database.ts'
import { catalogCacheOf } from '../catalog/index.ts'
import { createCarts } from './orders.carts.ts'
import { createShipping } from './orders.shipping.ts'

/** Carts and shipping methods now; checkout and orders will join them here. */
export function createOrdersService(db: Db, options: { cache: Cache; cartTtlHours: number }) {
  const carts = createCarts(db, { catalog: catalogCacheOf(options.cache, db), cartTtlHours: options.cartTtlHours })
  return { ...carts, ...createShipping(db, carts) }
}

export type OrdersService = ReturnType<typeof createOrdersService>
