import type { Cache } from '../../infra/cache/cache.ts'
import type { Db } from '../../infra/db/database.ts'
import { createIdempotentWriter } from '../../infra/idempotency/idempotency.ts'
import { catalogCacheOf } from '../catalog/index.ts'
import { createCarts } from './orders.carts.ts'
import { builtInPaymentProviders, type PaymentProviders } from './orders.payments.ts'
import { createPlacement } from './orders.placement.ts'
import { createShipping } from './orders.shipping.ts'
import { createShopperOrders } from './orders.shopper-orders.ts'
import { createOrderLifecycle } from './orders.lifecycle.ts'
import { createOrderReturns } from './orders.returns.ts'
import { createStaffOrders } from './orders.staff-orders.ts'
import { createOrderBatches } from './orders.batch.ts'

export interface OrdersServiceOptions {
  cache: Cache
  cartTtlHours: number
  idempotencyKeyTtlHours?: number | undefined
  /** the payment providers by name; default: `manual` and `test` */
  payments?: PaymentProviders | undefined
  /** orders per chunk of a batch operation (each chunk one short statement); default 1,000 */
  batchChunkSize?: number | undefined
}

/** Carts, shipping methods and checkout; each workflow is its own file, wired here. */
export function createOrdersService(db: Db, options: OrdersServiceOptions) {
  const catalog = catalogCacheOf(options.cache, db)
  const writes = createIdempotentWriter(db, { ttlHours: options.idempotencyKeyTtlHours ?? 24, codePrefix: 'ORDERS' })
  const payments = options.payments ?? builtInPaymentProviders({ testTimeoutMs: 3000 })
  const carts = createCarts(db, { catalog, cartTtlHours: options.cartTtlHours })
  return {
    ...carts,
    ...createShipping(db, carts),
    ...createPlacement(db, { catalog, writes, payments }),
    ...createShopperOrders(db),
    ...createStaffOrders(db),
    ...createOrderLifecycle({ writes }),
    ...createOrderReturns({ writes }),
    ...createOrderBatches(db, { chunkSize: options.batchChunkSize }),
  }
}

export type OrdersService = ReturnType<typeof createOrdersService>
