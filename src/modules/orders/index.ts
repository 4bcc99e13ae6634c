export type { AddLineInput, CartCaller, CreatedCart, UpdateCartInput } from './orders.carts.ts'
export { type PruneExpiredCartsOptions, pruneExpiredCarts, scheduleCartPruning } from './orders.maintenance.ts'
export type { CartLine, PricedCart } from './orders.pricing.ts'
export { registerOrderRoutes } from './orders.routes.ts'
export { createOrdersService, type OrdersService } from './orders.service.ts'
export type { CancelOrderInput, FulfilOrderInput } from './orders.lifecycle.ts'
export type { OrderReturnInput, OrderReturnResult } from './orders.returns.ts'
export type { BatchResult, BatchRowResult, FulfilInput, MarkPaidInput } from './orders.batch.ts'
export type { ImportInput, ImportOrderInput } from './orders.imports.ts'
export type { OrderEvent, OrderReturn, StaffOrder, StaffOrderPage } from './orders.staff-orders.ts'
export { ORDER_STATUSES, type OrderStatus } from './orders.tables.ts'
export type {
  CreateShippingMethodInput,
  ShippingMethod,
  ShippingOption,
  ShippingRateInput,
  UpdateShippingMethodInput,
} from './orders.shipping.ts'
