import type { Cache } from '../../infra/cache/cache.ts'
import type { Db } from '../../infra/db/database.ts'
import { createIdempotentWriter, type Replayable } from '../../infra/idempotency/idempotency.ts'
import { catalogCacheOf } from '../catalog/index.ts'
import { tellingStockMoved } from '../inventory/index.ts'
import type { Order } from './orders.mapping.ts'
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
  const { placeOrder } = createPlacement(db, { catalog, writes, payments })
  const lifecycle = createOrderLifecycle({ writes })
  const { returnOrderItems } = createOrderReturns({ writes })
  // after the commit, the products an order, cancel or return moved (from the answer: no statement) — the storefront's stock badges
  const moved = tellingStockMoved<Replayable<Pick<Order, 'lines'>>>(db, ({ body, replayed }) => (replayed ? [] : body.lines.map((l) => l.productId)))
  const movedBack = tellingStockMoved<Replayable<{ return: { lines: { productId: number }[] } }>>(db, ({ body, replayed }) =>
    replayed ? [] : body.return.lines.map((l) => l.productId),
  )
  return {
    ...carts,
    ...createShipping(db, carts),
    placeOrder: (...args: Parameters<typeof placeOrder>) => placeOrder(...args).then(moved),
    ...createShopperOrders(db),
    ...createStaffOrders(db),
    ...lifecycle,
    cancelOrder: (...args: Parameters<typeof lifecycle.cancelOrder>) => lifecycle.cancelOrder(...args).then(moved),
    returnOrderItems: (...args: Parameters<typeof returnOrderItems>) => returnOrderItems(...args).then(movedBack),
    ...createOrderBatches(db, { chunkSize: options.batchChunkSize }),
  }
}

export type OrdersService = ReturnType<typeof createOrdersService>
