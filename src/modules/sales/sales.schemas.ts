import { type Static, Type } from 'typebox'
import { MONEY_LIMITS, PERCENT_LIMITS, QUANTITY_LIMITS, UNIT_PRICE_LIMITS } from '../../infra/decimal.ts'
import { DateOrTimestamp, Decimal, DecimalOutput, Id, Page, PageQuery, Text } from '../../infra/http/schemas.ts'
import { MoneyOutput as Money, UnitPriceOutput } from '../catalog/index.ts'
import { INVOICE_STATUSES, PAYMENT_METHODS } from './sales.tables.ts'

const PaymentMethod = Type.Enum(PAYMENT_METHODS)
const InvoiceStatus = Type.Enum(INVOICE_STATUSES)
const Note = Text({ maxLength: 1000 })
const PERCENT = 'Discount in percent'
const AMOUNT = 'Discount as an amount in whole cents'
const Percent = Type.Optional(Decimal(PERCENT_LIMITS, PERCENT))
const Amount = Type.Optional(Decimal(MONEY_LIMITS, AMOUNT))
const NullablePercent = Type.Optional(
  Type.Union([Decimal(PERCENT_LIMITS, PERCENT), Type.Null()], { description: 'Percent; null removes it' }),
)
const NullableAmount = Type.Optional(
  Type.Union([Decimal(MONEY_LIMITS, AMOUNT), Type.Null()], { description: 'Amount; null removes it' }),
)
/** Sales, changes and returns take quantities above zero. */
export const SOLD_QUANTITY_LIMITS = { ...QUANTITY_LIMITS, min: '0.000001' }
const Quantity = Decimal(SOLD_QUANTITY_LIMITS, 'How many of `unit`')
const UnitPrice = Decimal(UNIT_PRICE_LIMITS, 'Price of one unit; only a manager or an admin may set a price other than the catalog price')
/** A payment is above zero and in whole cents. */
export const PAYMENT_LIMITS = { ...MONEY_LIMITS, min: '0.01' }

export const LineInput = Type.Object(
  {
    productId: Type.Optional(Id),
    sku: Type.Optional(Text({ minLength: 1, maxLength: 64 })),
    unit: Type.Optional(Text({ minLength: 1, maxLength: 32, description: "Default: the product's base unit" })),
    quantity: Quantity,
    unitPrice: Type.Optional(UnitPrice),
    discountPercent: Percent,
    discountAmount: Amount,
  },
  { additionalProperties: false },
)

export const PaymentInput = Type.Object(
  {
    method: PaymentMethod,
    amount: Decimal(PAYMENT_LIMITS, 'For cash, what the customer handed over: the change is computed'),
    reference: Type.Optional(Text({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

const MAX_LINES = 2000

export const CreateInvoiceBody = Type.Object(
  {
    locationId: Id,
    note: Type.Optional(Note),
    lines: Type.Optional(Type.Array(LineInput, { maxItems: MAX_LINES })),
    discountPercent: Percent,
    discountAmount: Amount,
    payments: Type.Optional(Type.Array(PaymentInput, { maxItems: 20 })),
    submit: Type.Optional(
      Type.Boolean({ description: 'Create, pay and submit in one transaction; refused whole unless paid in full' }),
    ),
  },
  { additionalProperties: false },
)

export const EditInvoiceBody = Type.Object(
  {
    note: Type.Optional(Type.Union([Note, Type.Null()])),
    discountPercent: NullablePercent,
    discountAmount: NullableAmount,
    add: Type.Optional(Type.Array(LineInput, { maxItems: MAX_LINES })),
    change: Type.Optional(
      Type.Array(
        Type.Object(
          {
            lineId: Id,
            quantity: Type.Optional(Quantity),
            unitPrice: Type.Optional(UnitPrice),
            discountPercent: Percent,
            discountAmount: Amount,
          },
          { additionalProperties: false },
        ),
        { maxItems: MAX_LINES },
      ),
    ),
    remove: Type.Optional(Type.Array(Id, { maxItems: MAX_LINES })),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const PayBody = Type.Object(
  { payments: Type.Array(PaymentInput, { minItems: 1, maxItems: 20 }) },
  { additionalProperties: false },
)

export const SubmitBody = Type.Object(
  { payments: Type.Optional(Type.Array(PaymentInput, { maxItems: 20 })) },
  { additionalProperties: false },
)

export const ReturnBody = Type.Object(
  {
    lines: Type.Array(Type.Object({ lineId: Id, quantity: Quantity }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: MAX_LINES,
    }),
    reason: Type.Optional(Text({ maxLength: 500 })),
    refundMethod: Type.Optional(PaymentMethod),
  },
  { additionalProperties: false },
)

const Timestamp = Type.String({ format: 'date-time' })
const NullableTimestamp = Type.Union([Timestamp, Type.Null()])

export const InvoiceLine = Type.Object({
  id: Type.Integer(),
  position: Type.Integer(),
  productId: Type.Integer(),
  sku: Type.String(),
  name: Type.String(),
  unit: Type.String(),
  quantity: DecimalOutput,
  factor: DecimalOutput,
  baseQuantity: DecimalOutput,
  unitPrice: UnitPriceOutput,
  priceOverridden: Type.Boolean(),
  taxRate: DecimalOutput,
  grossAmount: Money,
  discountPercent: Type.Union([DecimalOutput, Type.Null()]),
  discountAmount: Money,
  invoiceDiscountAmount: Money,
  netAmount: Money,
  taxAmount: Money,
  totalAmount: Money,
  returnedQuantity: DecimalOutput,
  returnedNet: Money,
  returnedTax: Money,
})

export const Payment = Type.Object({
  method: PaymentMethod,
  amount: Money,
  tendered: Money,
  change: Money,
  reference: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
})

export const SalesReturn = Type.Object({
  id: Type.Integer(),
  invoiceId: Type.Integer(),
  locationId: Type.Integer(),
  reason: Type.Union([Type.String(), Type.Null()]),
  refundMethod: PaymentMethod,
  netAmount: Money,
  taxAmount: Money,
  totalAmount: Money,
  createdAt: Timestamp,
  lines: Type.Array(
    Type.Object({
      lineId: Type.Integer({ description: 'The invoice line returned' }),
      productId: Type.Integer(),
      quantity: DecimalOutput,
      baseQuantity: DecimalOutput,
      netAmount: Money,
      taxAmount: Money,
      totalAmount: Money,
    }),
  ),
})

export const Invoice = Type.Object({
  id: Type.Integer(),
  locationId: Type.Integer(),
  status: InvoiceStatus,
  note: Type.Union([Type.String(), Type.Null()]),
  discountPercent: Type.Union([DecimalOutput, Type.Null()]),
  discountAmount: Money,
  subtotal: Money,
  lineDiscountTotal: Money,
  netTotal: Money,
  taxTotal: Money,
  total: Money,
  paidTotal: Money,
  changeDue: Money,
  amountDue: Money,
  returnedTotal: Money,
  lineCount: Type.Integer(),
  createdBy: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  submittedAt: NullableTimestamp,
  cancelledAt: NullableTimestamp,
  lines: Type.Array(InvoiceLine),
  payments: Type.Array(Payment),
  returns: Type.Array(SalesReturn, { description: 'Its returns, oldest first' }),
})

export const ReturnResponse = Type.Object({ return: SalesReturn, invoice: Invoice })

export const ListInvoicesQuery = Type.Object(
  {
    ...PageQuery,
    locationId: Type.Optional(Id),
    status: Type.Optional(InvoiceStatus),
    from: Type.Optional(DateOrTimestamp('Created at or after this date (midnight UTC) or timestamp')),
    to: Type.Optional(DateOrTimestamp('Created before this date (midnight UTC) or timestamp')),
  },
  { additionalProperties: false },
)

export const InvoicePage = Page(Invoice)

export const ListReturnsQuery = Type.Object(
  {
    ...PageQuery,
    locationId: Type.Optional(Id),
    from: Type.Optional(DateOrTimestamp('Made at or after this date (midnight UTC) or timestamp')),
    to: Type.Optional(DateOrTimestamp('Made before this date (midnight UTC) or timestamp')),
  },
  { additionalProperties: false },
)

export const ReturnPage = Page(SalesReturn)

/** The short answer to a sale sent with `Prefer: return=minimal`: what a till prints and hands back. */
export const InvoiceReceipt = Type.Object({
  id: Type.Integer(),
  status: InvoiceStatus,
  lineCount: Type.Integer(),
  subtotal: Money,
  taxTotal: Money,
  total: Money,
  paidTotal: Money,
  changeDue: Money,
  amountDue: Money,
})

export type LineInput = Static<typeof LineInput>
export type PaymentInput = Static<typeof PaymentInput>
export type CreateInvoiceInput = Static<typeof CreateInvoiceBody>
export type EditInvoiceInput = Static<typeof EditInvoiceBody>
export type PayInvoiceInput = Static<typeof PayBody>
export type SubmitInvoiceInput = Static<typeof SubmitBody>
export type ReturnInput = Static<typeof ReturnBody>
export type ListInvoicesQuery = Static<typeof ListInvoicesQuery>
export type ListReturnsQuery = Static<typeof ListReturnsQuery>
export type InvoiceLine = Static<typeof InvoiceLine>
export type Payment = Static<typeof Payment>
export type Invoice = Static<typeof Invoice>
export type InvoiceReceipt = Static<typeof InvoiceReceipt>
export type SalesReturn = Static<typeof SalesReturn>
export type ReturnResult = Static<typeof ReturnResponse>

