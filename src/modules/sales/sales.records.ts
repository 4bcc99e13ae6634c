/**
 * Invoices and returns as the statements read them back: the record types, and the SQL that builds
 * an invoice with its lines, payments and returns as JSON in the statement that reads it.
 */
import { sql } from 'kysely'
import { jsonObjectOf, type RowOf } from '../../infra/db/columns.ts'
import {
  INVOICE_LINE_RETURNED,
  INVOICE_LINE_VALUES,
  type NewPayment,
  type NewReturnLine,
  PAYMENT_VALUES,
  type PaymentMethod,
  RETURN_LINE_VALUES,
  type SalesInvoiceLineRow,
  type SalesInvoiceRow,
} from './sales.tables.ts'

/** A line as stored, read back through JSON (decimals as exact strings). */
export type InvoiceLineRecord = Omit<SalesInvoiceLineRow, 'invoice_id'>

const RETURN_READ = {
  id: 'bigint',
  invoice_id: 'bigint',
  location_id: 'bigint',
  reason: 'text null',
  refund_method: 'text',
  net_amount: 'numeric',
  tax_amount: 'numeric',
  total_amount: 'numeric',
  created_at: 'timestamptz',
} as const

/** A return with its lines, read back through JSON (created_at a string) or as just written (a Date). */
export interface ReturnRecord extends Omit<RowOf<typeof RETURN_READ>, 'refund_method' | 'created_at'> {
  refund_method: PaymentMethod
  created_at: Date | string
  lines: NewReturnLine[]
}

/** A payment as stored; created_at is a Date when written in this process, a string when read back through JSON. */
export type PaymentRecord = NewPayment & { created_at: Date | string }

/** An invoice's amounts as priced: the invoice discount as entered, and the line sums. */
export type InvoiceTotals = Pick<
  SalesInvoiceRow,
  'discount_percent' | 'discount_amount' | 'subtotal' | 'line_discount_total' | 'net_total' | 'tax_total' | 'total' | 'line_count'
>

export interface InvoiceRecord extends SalesInvoiceRow {
  lines: InvoiceLineRecord[]
  payments: PaymentRecord[]
  /** its returns, oldest first, when read with them (a lock for a write other than a return does not) */
  returns?: ReturnRecord[]
}

/** The transaction's clock (now() is fixed for a whole transaction), read with the invoice. */
export interface LockedInvoiceRecord extends InvoiceRecord {
  now: Date
}

/** Locked for a return: with its returns, and the id the new return will have. */
export interface InvoiceLockedForReturn extends LockedInvoiceRecord {
  returns: ReturnRecord[]
  return_id: number
}

const LINE_READ = { id: 'bigint', ...INVOICE_LINE_VALUES, ...INVOICE_LINE_RETURNED } as const
const PAYMENT_READ = { ...PAYMENT_VALUES, created_at: 'timestamptz' } as const

/** The invoice `i`'s columns, with its lines and payments as JSON arrays. */
export const invoiceColumns = sql`
  i.id, i.location_id, i.status, i.note, i.discount_percent, i.discount_amount, i.subtotal,
  i.line_discount_total, i.net_total, i.tax_total, i.total, i.paid_total, i.change_due, i.returned_total,
  i.line_count, i.created_by, i.created_at, i.updated_at, i.submitted_at, i.cancelled_at,
  coalesce((
    select json_agg(${jsonObjectOf(LINE_READ, 'l')} order by l.position)
    from sales_invoice_line l where l.invoice_id = i.id), '[]') as lines,
  coalesce((
    select json_agg(${jsonObjectOf(PAYMENT_READ, 'p')} order by p.id)
    from sales_payment p where p.invoice_id = i.id), '[]') as payments`

/** A return (the sales_return row `alias`) with its lines, in invoice line order, as one JSON object. */
export const returnJson = (alias: string) => sql`(${jsonObjectOf(RETURN_READ, alias)}::jsonb
  || jsonb_build_object('lines', coalesce((
    select jsonb_agg(${jsonObjectOf(RETURN_LINE_VALUES, 'rl')} order by rl.invoice_line_id)
    from sales_return_line rl where rl.return_id = ${sql.raw(alias)}.id), '[]')))`

/** The invoice `i`'s returns, oldest first, as a JSON array. */
export const invoiceReturns = sql`
  coalesce((
    select json_agg(${returnJson('r')} order by r.id)
    from sales_return r where r.invoice_id = i.id), '[]') as returns`
