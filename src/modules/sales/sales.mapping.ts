/** Stored rows → API shapes. One mapping for rows read back and for state computed in this process, so both look the same. */
import { Big, decimalString, money } from '../../infra/decimal.ts'
import type { InvoiceLineRecord, InvoiceRecord, PaymentRecord, ReturnRecord } from './sales.repository.ts'
import type { Invoice, InvoiceLine, InvoiceReceipt, Payment, SalesReturn } from './sales.schemas.ts'
import type { NewInvoiceLine } from './sales.tables.ts'

const ZERO = new Big(0)
const CANONICAL_MONEY = /^-?\d+\.\d\d$/
const CANONICAL_DECIMAL = /^-?(0|[1-9]\d*)(\.\d*[1-9])?$/
// Views are built for every line of every response: skip big.js when the text is canonical already.
export const moneyText = (value: string) => (CANONICAL_MONEY.test(value) ? value : money(value))
export const decimalText = (value: string) =>
  CANONICAL_DECIMAL.test(value) && value !== '-0' ? value : decimalString(value)
/** A unit price: at least two decimals ("0.90", "7.00"), and all it was set with (an override of 7.333 stays 7.333). */
export const unitPriceText = (value: string) => {
  const text = decimalText(value)
  const dot = text.indexOf('.')
  return dot < 0 ? `${text}.00` : dot === text.length - 2 ? `${text}0` : text
}
/** -x of a decimal string, without big.js. */
export const negated = (value: string) => {
  const text = decimalText(value)
  return text === '0' ? text : text.startsWith('-') ? text.slice(1) : `-${text}`
}
const iso = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString()
const decimalOrNull = (value: string | null) => (value === null ? null : decimalText(value))

export function toLine(l: InvoiceLineRecord): InvoiceLine {
  return {
    id: l.id,
    position: l.position,
    productId: l.product_id,
    sku: l.sku,
    name: l.name,
    unit: l.unit,
    quantity: decimalText(l.quantity),
    factor: decimalText(l.factor),
    baseQuantity: decimalText(l.base_quantity),
    unitPrice: unitPriceText(l.unit_price),
    priceOverridden: l.price_overridden,
    taxRate: decimalText(l.tax_rate),
    grossAmount: moneyText(l.gross_amount),
    discountPercent: decimalOrNull(l.discount_percent),
    discountAmount: moneyText(l.discount_amount),
    invoiceDiscountAmount: moneyText(l.invoice_discount_amount),
    netAmount: moneyText(l.net_amount),
    taxAmount: moneyText(l.tax_amount),
    totalAmount: moneyText(l.total_amount),
    returnedQuantity: decimalText(l.returned_quantity),
    returnedNet: moneyText(l.returned_net),
    returnedTax: moneyText(l.returned_tax),
  }
}

export function toPayment(p: PaymentRecord): Payment {
  return {
    method: p.method,
    amount: moneyText(p.amount),
    tendered: moneyText(p.tendered),
    change: moneyText(p.change),
    reference: p.reference,
    createdAt: iso(p.created_at),
  }
}

export function toReturn(r: ReturnRecord): SalesReturn {
  return {
    id: r.id,
    invoiceId: r.invoice_id,
    locationId: r.location_id,
    reason: r.reason,
    refundMethod: r.refund_method,
    netAmount: moneyText(r.net_amount),
    taxAmount: moneyText(r.tax_amount),
    totalAmount: moneyText(r.total_amount),
    createdAt: iso(r.created_at),
    lines: r.lines.map((l) => ({
      lineId: l.invoice_line_id,
      productId: l.product_id,
      quantity: decimalText(l.quantity),
      baseQuantity: decimalText(l.base_quantity),
      netAmount: moneyText(l.net_amount),
      taxAmount: moneyText(l.tax_amount),
      totalAmount: moneyText(l.total_amount),
    })),
  }
}

/** An invoice read without its returns (a draft, or a sale being cancelled, which has none) lists none. */
export function toInvoice(r: InvoiceRecord): Invoice {
  const due = new Big(r.total).minus(r.paid_total)
  return {
    id: r.id,
    locationId: r.location_id,
    status: r.status,
    note: r.note,
    discountPercent: decimalOrNull(r.discount_percent),
    discountAmount: moneyText(r.discount_amount),
    subtotal: moneyText(r.subtotal),
    lineDiscountTotal: moneyText(r.line_discount_total),
    netTotal: moneyText(r.net_total),
    taxTotal: moneyText(r.tax_total),
    total: moneyText(r.total),
    paidTotal: moneyText(r.paid_total),
    changeDue: moneyText(r.change_due),
    amountDue: money(due.gt(0) ? due : ZERO),
    returnedTotal: moneyText(r.returned_total),
    lineCount: Number(r.line_count),
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    submittedAt: r.submitted_at === null ? null : iso(r.submitted_at),
    cancelledAt: r.cancelled_at === null ? null : iso(r.cancelled_at),
    lines: r.lines.map(toLine),
    payments: r.payments.map(toPayment),
    returns: r.returns === undefined ? [] : r.returns.map(toReturn),
  }
}

/** A line just written, as it is now stored: the written values, its id, and what returns took (none yet). */
// Written out rather than spread: this runs for every line of every sale, and V8 spreads slowly.
export function storedLine(row: NewInvoiceLine, id: number, returned?: InvoiceLineRecord): InvoiceLineRecord {
  return {
    id,
    position: row.position,
    product_id: row.product_id,
    sku: row.sku,
    name: row.name,
    unit: row.unit,
    quantity: row.quantity,
    factor: row.factor,
    base_quantity: row.base_quantity,
    unit_price: row.unit_price,
    price_overridden: row.price_overridden,
    tax_rate: row.tax_rate,
    gross_amount: row.gross_amount,
    discount_percent: row.discount_percent,
    discount_amount: row.discount_amount,
    invoice_discount_amount: row.invoice_discount_amount,
    net_amount: row.net_amount,
    tax_amount: row.tax_amount,
    total_amount: row.total_amount,
    returned_quantity: returned?.returned_quantity ?? '0',
    returned_net: returned?.returned_net ?? '0.00',
    returned_tax: returned?.returned_tax ?? '0.00',
  }
}

export function toReceipt({ id, status, lineCount, subtotal, taxTotal, total, paidTotal, changeDue, amountDue }: Invoice): InvoiceReceipt {
  return { id, status, lineCount, subtotal, taxTotal, total, paidTotal, changeDue, amountDue }
}
