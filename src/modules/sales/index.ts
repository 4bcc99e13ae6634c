export { returnedBaseUnits } from './sales.lines.ts'
export { registerSalesRoutes } from './sales.routes.ts'
export type {
  CreateInvoiceInput,
  EditInvoiceInput,
  Invoice,
  InvoiceLine,
  LineInput,
  Payment,
  PaymentInput,
  ReturnInput,
  ReturnResult,
  SalesReturn,
  SubmitInvoiceInput,
} from './sales.schemas.ts'
export { createSalesService, type SalesService } from './sales.service.ts'
export type { InvoiceStatus, PaymentMethod } from './sales.tables.ts'
