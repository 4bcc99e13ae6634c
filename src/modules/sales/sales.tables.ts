import type { ColumnType, Generated, Selectable } from 'kysely'
import type { Columns, RowOf } from '../../infra/db/columns.ts'

type CreatedAt = ColumnType<Date, Date | string | undefined, never>
/** numeric as an exact decimal string */
type Decimal = string
type DecimalWithDefault = ColumnType<string, string | undefined, string>

export const INVOICE_STATUSES = ['draft', 'submitted', 'cancelled'] as const
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number]
export const PAYMENT_METHODS = ['cash', 'card', 'other'] as const
export type PaymentMethod = (typeof PAYMENT_METHODS)[number]

export interface SalesInvoiceTable {
  id: Generated<number>
  location_id: number
  status: ColumnType<InvoiceStatus, InvoiceStatus | undefined, InvoiceStatus>
  note: string | null
  discount_percent: Decimal | null
  discount_amount: DecimalWithDefault
  subtotal: DecimalWithDefault
  line_discount_total: DecimalWithDefault
  net_total: DecimalWithDefault
  tax_total: DecimalWithDefault
  total: DecimalWithDefault
  paid_total: DecimalWithDefault
  change_due: DecimalWithDefault
  returned_total: DecimalWithDefault
  line_count: ColumnType<number, number | undefined, number>
  created_by: number | null
  created_at: CreatedAt
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
  submitted_at: Date | null
  cancelled_at: Date | null
}

/**
 * The values a sale writes into an invoice line, in table order (migration 0002). Every statement
 * that writes or reads lines builds its column lists from this (see infra/db/columns.ts), and a
 * test compares it with the table.
 */
export const INVOICE_LINE_VALUES = {
  position: 'bigint',
  product_id: 'bigint',
  sku: 'text',
  name: 'text',
  unit: 'text',
  quantity: 'numeric',
  factor: 'numeric',
  base_quantity: 'numeric',
  unit_price: 'numeric',
  price_overridden: 'boolean',
  tax_rate: 'numeric',
  gross_amount: 'numeric',
  discount_percent: 'numeric null',
  discount_amount: 'numeric',
  invoice_discount_amount: 'numeric',
  net_amount: 'numeric',
  tax_amount: 'numeric',
  total_amount: 'numeric',
} as const satisfies Columns

/** What returns have taken from a line so far; starts at zero. */
export const INVOICE_LINE_RETURNED = {
  returned_quantity: 'numeric',
  returned_net: 'numeric',
  returned_tax: 'numeric',
} as const satisfies Columns

/** A line as a sale writes it. */
export type NewInvoiceLine = RowOf<typeof INVOICE_LINE_VALUES>

export interface SalesInvoiceLineTable extends NewInvoiceLine {
  id: Generated<number>
  invoice_id: number
  returned_quantity: DecimalWithDefault
  returned_net: DecimalWithDefault
  returned_tax: DecimalWithDefault
}

/** A payment's values as a write sends them. */
export const PAYMENT_VALUES = {
  method: 'text',
  amount: 'numeric',
  tendered: 'numeric',
  change: 'numeric',
  reference: 'text null',
} as const satisfies Columns

export interface NewPayment extends Omit<RowOf<typeof PAYMENT_VALUES>, 'method'> {
  method: PaymentMethod
}

export interface SalesPaymentTable extends Omit<NewPayment, 'change'> {
  id: Generated<number>
  invoice_id: number
  change: DecimalWithDefault
  created_at: CreatedAt
}

export interface SalesReturnTable {
  id: Generated<number>
  invoice_id: number
  location_id: number
  reason: string | null
  refund_method: PaymentMethod
  net_amount: Decimal
  tax_amount: Decimal
  total_amount: Decimal
  token_id: number | null
  created_at: CreatedAt
}

/** The values of a return line, in table order after return_id. */
export const RETURN_LINE_VALUES = {
  invoice_line_id: 'bigint',
  product_id: 'bigint',
  quantity: 'numeric',
  base_quantity: 'numeric',
  net_amount: 'numeric',
  tax_amount: 'numeric',
  total_amount: 'numeric',
} as const satisfies Columns

export type NewReturnLine = RowOf<typeof RETURN_LINE_VALUES>

export interface SalesReturnLineTable extends NewReturnLine {
  id: Generated<number>
  return_id: number
}

export interface SalesTables {
  sales_invoice: SalesInvoiceTable
  sales_invoice_line: SalesInvoiceLineTable
  sales_payment: SalesPaymentTable
  sales_return: SalesReturnTable
  sales_return_line: SalesReturnLineTable
}

export type SalesInvoiceRow = Selectable<SalesInvoiceTable>
export type SalesInvoiceLineRow = Selectable<SalesInvoiceLineTable>
export type SalesPaymentRow = Selectable<SalesPaymentTable>
export type SalesReturnRow = Selectable<SalesReturnTable>
