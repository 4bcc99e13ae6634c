export type { AddLineInput, CartCaller, CreatedCart, UpdateCartInput } from './orders.carts.ts'
export { type PruneExpiredCartsOptions, pruneExpiredCarts, scheduleCartPruning } from './orders.maintenance.ts'
export type { CartLine, PricedCart } from './orders.pricing.ts'
export { registerOrderRoutes } from './orders.routes.ts'
export { createOrdersService, type OrdersService } from './orders.service.ts'
export type {
  CreateShippingMethodInput,
  ShippingMethod,
  ShippingOption,
  ShippingRateInput,
  UpdateShippingMethodInput,
} from './orders.shipping.ts'
