import type { ColumnType, Generated, Selectable } from 'kysely'

type CreatedAt = ColumnType<Date, Date | string | undefined, never>
/** numeric as an exact decimal string */
type Decimal = string
type DecimalWithDefault = ColumnType<string, string | undefined, string>

export type InvoiceStatus = 'draft' | 'submitted' | 'cancelled'
export type PaymentMethod = 'cash' | 'card' | 'other'

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

export interface SalesInvoiceLineTable {
  id: Generated<number>
  invoice_id: number
  position: number
  product_id: number
  sku: string
  name: string
  unit: string
  quantity: Decimal
  factor: Decimal
  base_quantity: Decimal
  unit_price: Decimal
  price_overridden: boolean
  tax_rate: Decimal
  gross_amount: Decimal
  discount_percent: Decimal | null
  discount_amount: Decimal
  invoice_discount_amount: Decimal
  net_amount: Decimal
  tax_amount: Decimal
  total_amount: Decimal
  returned_quantity: DecimalWithDefault
  returned_net: DecimalWithDefault
  returned_tax: DecimalWithDefault
}

export interface SalesPaymentTable {
  id: Generated<number>
  invoice_id: number
  method: PaymentMethod
  amount: Decimal
  tendered: Decimal
  change: DecimalWithDefault
  reference: string | null
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

export interface SalesReturnLineTable {
  id: Generated<number>
  return_id: number
  invoice_line_id: number
  product_id: number
  quantity: Decimal
  base_quantity: Decimal
  net_amount: Decimal
  tax_amount: Decimal
  total_amount: Decimal
}

export interface IdempotencyKeyTable {
  id: Generated<number>
  scope: string
  key: string
  operation: string
  request_hash: string
  response: unknown
  created_at: CreatedAt
}

export interface SalesTables {
  sales_invoice: SalesInvoiceTable
  sales_invoice_line: SalesInvoiceLineTable
  sales_payment: SalesPaymentTable
  sales_return: SalesReturnTable
  sales_return_line: SalesReturnLineTable
  idempotency_key: IdempotencyKeyTable
}

export type SalesInvoiceRow = Selectable<SalesInvoiceTable>
export type SalesInvoiceLineRow = Selectable<SalesInvoiceLineTable>
export type SalesPaymentRow = Selectable<SalesPaymentTable>
export type SalesReturnRow = Selectable<SalesReturnTable>
