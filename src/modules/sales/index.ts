export {
  type PruneIdempotencyKeysOptions,
  type PruneLog,
  type PruneSchedule,
  pruneIdempotencyKeys,
  scheduleIdempotencyKeyPruning,
} from './sales.maintenance.ts'
export { type PricedInvoice, type PricingLine, priceInvoice } from './sales.pricing.ts'
export { registerSalesRoutes } from './sales.routes.ts'
export {
  type CreateInvoiceInput,
  createSalesService,
  type EditInvoiceInput,
  type Invoice,
  type InvoiceLine,
  type LineInput,
  type Payment,
  type PaymentInput,
  type Replayable,
  type ReturnInput,
  type SalesReturn,
  type SalesService,
  type SubmitInvoiceInput,
  type WriteOptions,
} from './sales.service.ts'
export type { InvoiceStatus, PaymentMethod } from './sales.tables.ts'
