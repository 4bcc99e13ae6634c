import { type RawBuilder, sql, type Transaction } from 'kysely'
import { assignFrom, columnList, pickColumns, unnestRows } from '../../infra/db/columns.ts'
import type { Database, Executor } from '../../infra/db/database.ts'
import { type CatalogCheck, changedCatalogLinesCte } from '../catalog/index.ts'
import { effectCtes, type SalesEffect, stockGuard, storedLinesOf } from './sales.effects.ts'
import {
  type InvoiceLockedForReturn,
  type InvoiceRecord,
  type InvoiceTotals,
  invoiceColumns,
  invoiceReturns,
  type LockedInvoiceRecord,
  type ReturnRecord,
  returnJson,
} from './sales.records.ts'
import {
  INVOICE_LINE_VALUES,
  type InvoiceStatus,
  type NewInvoiceLine,
  type NewPayment,
  type NewReturnLine,
  PAYMENT_VALUES,
  type PaymentMethod,
  RETURN_LINE_VALUES,
} from './sales.tables.ts'

export type {
  InvoiceLineRecord,
  InvoiceLockedForReturn,
  InvoiceRecord,
  InvoiceTotals,
  LockedInvoiceRecord,
  PaymentRecord,
  ReturnRecord,
} from './sales.records.ts'

const LINE_COLUMNS = columnList(INVOICE_LINE_VALUES)
/** What an edit may change in a kept line. */
const EDITABLE_LINE_VALUES = pickColumns(INVOICE_LINE_VALUES, [
  'quantity',
  'base_quantity',
  'unit_price',
  'price_overridden',
  'gross_amount',
  'discount_percent',
  'discount_amount',
  'invoice_discount_amount',
  'net_amount',
  'tax_amount',
  'total_amount',
])

/** `, name as (…)` when a CTE is given: how an optional CTE joins a statement's WITH list. */
const andCte = (cte: RawBuilder<unknown> | null) => (cte ? sql`, ${cte}` : sql``)

/**
 * Locks the invoice row and reads it with its lines and payments, in one statement. Every writer
 * of an invoice, its lines or payments takes this lock first, so they serialize per invoice.
 */
export async function lockInvoice(trx: Transaction<Database>, id: number): Promise<LockedInvoiceRecord | undefined> {
  const { rows } = await sql<LockedInvoiceRecord>`/* prepared */
    select ${invoiceColumns}, now() as now from sales_invoice i where i.id = ${id} for update of i`.execute(trx)
  return rows[0]
}

/**
 * Locks the invoice like `lockInvoice`, reading its returns too, and takes the id of the return
 * about to be written, so the response (and the one an Idempotency-Key stores) is whole before the
 * write; a return refused after this leaves a gap in the ids, as a failed insert would.
 */
export async function lockInvoiceForReturn(trx: Transaction<Database>, id: number): Promise<InvoiceLockedForReturn | undefined> {
  const { rows } = await sql<InvoiceLockedForReturn>`/* prepared */
    select ${invoiceColumns}, ${invoiceReturns}, now() as now, nextval(pg_get_serial_sequence('sales_return', 'id')) as return_id
    from sales_invoice i where i.id = ${id} for update of i`.execute(trx)
  return rows[0]
}

/** The invoice with its lines, payments and returns: one statement. */
export async function findInvoice(db: Executor, id: number): Promise<InvoiceRecord | undefined> {
  const { rows } = await sql<InvoiceRecord>`
    select ${invoiceColumns}, ${invoiceReturns} from sales_invoice i where i.id = ${id}`.execute(db)
  return rows[0]
}

export interface InvoiceFilter {
  locationIds?: readonly number[] | undefined
  status?: InvoiceStatus | undefined
  /** created_at >= from */
  from?: Date | undefined
  /** created_at < to */
  to?: Date | undefined
  after?: number | undefined
  limit: number
}

/** A page of invoices with their lines, payments and returns: one statement. */
export async function listInvoices(db: Executor, filter: InvoiceFilter): Promise<InvoiceRecord[]> {
  const conditions: RawBuilder<unknown>[] = [sql`true`]
  if (filter.locationIds) conditions.push(sql`i.location_id = any(${[...filter.locationIds]}::bigint[])`)
  if (filter.status) conditions.push(sql`i.status = ${filter.status}`)
  if (filter.from) conditions.push(sql`i.created_at >= ${filter.from}`)
  if (filter.to) conditions.push(sql`i.created_at < ${filter.to}`)
  if (filter.after !== undefined) conditions.push(sql`i.id > ${filter.after}`)
  const { rows } = await sql<InvoiceRecord>`
    select ${invoiceColumns}, ${invoiceReturns} from sales_invoice i
    where ${sql.join(conditions, sql` and `)}
    order by i.id limit ${filter.limit}`.execute(db)
  return rows
}

export interface ReturnFilter {
  locationIds?: readonly number[] | undefined
  /** created_at >= from */
  from?: Date | undefined
  /** created_at < to */
  to?: Date | undefined
  after?: number | undefined
  limit: number
}

/** A page of returns with their lines, oldest first: one statement. */
export async function listReturns(db: Executor, filter: ReturnFilter): Promise<ReturnRecord[]> {
  const conditions: RawBuilder<unknown>[] = [sql`true`]
  if (filter.locationIds) conditions.push(sql`r.location_id = any(${[...filter.locationIds]}::bigint[])`)
  if (filter.from) conditions.push(sql`r.created_at >= ${filter.from}`)
  if (filter.to) conditions.push(sql`r.created_at < ${filter.to}`)
  if (filter.after !== undefined) conditions.push(sql`r.id > ${filter.after}`)
  const { rows } = await sql<{ record: ReturnRecord }>`
    select ${returnJson('r')} as record from sales_return r
    where ${sql.join(conditions, sql` and `)}
    order by r.id limit ${filter.limit}`.execute(db)
  return rows.map((r) => r.record)
}

const paymentRows = (payments: readonly NewPayment[]) => unnestRows(PAYMENT_VALUES, payments, { alias: 'p', ordinality: 'n' })

export interface NewInvoice extends InvoiceTotals {
  location_id: number
  status: InvoiceStatus
  note: string | null
  paid_total: string
  change_due: string
  created_by: number | null
  lines: readonly NewInvoiceLine[]
  payments: readonly NewPayment[]
  /** the catalog prices the lines were priced with, to check before writing */
  catalog: readonly CatalogCheck[]
  /** for a sale submitted at once: its stock and rollups */
  effect: SalesEffect | null
}

export interface InsertedInvoice {
  id: number
  created_at: Date
  updated_at: Date
  submitted_at: Date | null
  /** the new lines' ids, in position order */
  lineIds: number[]
}

/**
 * Writes an invoice with all its lines and payments (and, for an immediate sale, its stock
 * movements, ledger rows and rollups) in one statement — a whole sale, atomic without a
 * transaction around it; a stock shortage aborts it (inventory's shortStockOf reads the error).
 * The product values the lines were priced with are compared with the catalog first, and nothing
 * is written if any differs: the result is then 'stale'. It is undefined when the location does
 * not exist.
 */
export async function insertInvoice(db: Executor, values: NewInvoice): Promise<InsertedInvoice | 'stale' | undefined> {
  const submitted = values.status === 'submitted'
  const { rows } = await sql<Omit<InsertedInvoice, 'lineIds'> & { stale: number; line_ids: string | null }>`/* prepared */
    with input as (
      -- the lines, sent as one array per column
      select * from ${unnestRows(INVOICE_LINE_VALUES, values.lines, { alias: 't' })}
    ), ${changedCatalogLinesCte('stale', 'input', values.catalog)}, inv as (
      -- the invoice, only if the location exists and no line was priced from a changed catalog
      insert into sales_invoice (location_id, status, note, discount_percent, discount_amount, subtotal,
        line_discount_total, net_total, tax_total, total, paid_total, change_due, line_count, created_by, submitted_at)
      select l.id, ${values.status}, ${values.note}, ${values.discount_percent}::numeric, ${values.discount_amount}::numeric,
        ${values.subtotal}::numeric, ${values.line_discount_total}::numeric, ${values.net_total}::numeric,
        ${values.tax_total}::numeric, ${values.total}::numeric, ${values.paid_total}::numeric,
        ${values.change_due}::numeric, ${values.line_count}::bigint, ${values.created_by}::bigint,
        ${submitted ? sql`now()` : sql`null`}
      from location l where l.id = ${values.location_id} and not exists (select 1 from stale)
      returning id, created_at, updated_at, submitted_at
    ), new_lines as (
      -- its lines, in position order so their ids follow the positions
      insert into sales_invoice_line (invoice_id, ${LINE_COLUMNS})
      select inv.id, t.* from inv cross join input t
      order by t.position
      returning id, position
    ), new_payments as (
      -- its payments, in the order given
      insert into sales_payment (invoice_id, ${columnList(PAYMENT_VALUES)})
      select inv.id, ${columnList(PAYMENT_VALUES, 'p')}
      from inv cross join ${paymentRows(values.payments)}
      order by p.n
    )${effectCtes(values.effect, {
      lines: sql`select product_id, base_quantity, net_amount, tax_amount, total_amount from input`,
      reference: sql<string>`'sales_invoice:' || (select id from inv)`,
      invoiceId: sql<number>`select id from inv`,
      at: sql<Date>`now()`,
      when: sql<boolean>`exists (select 1 from inv)`,
    })}
    select ${stockGuard(values.effect)}, (select count(*) from stale)::integer as stale, inv.id, inv.created_at, inv.updated_at, inv.submitted_at,
      (select string_agg(id::text, ',' order by position) from new_lines) as line_ids
    from (select 1) as one left join inv on true`.execute(db)
  const row = rows[0]
  if (!row || row.stale > 0) return row ? 'stale' : undefined
  if (row.id === null) return undefined
  return {
    id: row.id,
    created_at: row.created_at,
    updated_at: row.updated_at,
    submitted_at: row.submitted_at,
    lineIds: row.line_ids === null ? [] : row.line_ids.split(',').map(Number),
  }
}

/** The lines of a draft after an edit, written in one statement. */
export interface DraftChanges {
  invoiceId: number
  note: string | null
  totals: InvoiceTotals
  removeIds: readonly number[]
  /** existing lines whose values changed */
  updates: readonly (NewInvoiceLine & { id: number })[]
  inserts: readonly NewInvoiceLine[]
}

export async function updateDraft(trx: Transaction<Database>, changes: DraftChanges): Promise<{ id: number; position: number }[]> {
  const { invoiceId, totals } = changes
  const { rows } = await sql<{ lines: { id: number; position: number }[] }>`
    with removed as (
      -- lines the edit removes
      delete from sales_invoice_line where invoice_id = ${invoiceId} and id = any(${[...changes.removeIds]}::bigint[])
    ), changed as (
      -- kept lines whose values the edit or the re-pricing changed
      update sales_invoice_line l
      set ${assignFrom(EDITABLE_LINE_VALUES, 'u')}
      from ${unnestRows({ id: 'bigint', ...EDITABLE_LINE_VALUES }, changes.updates, { alias: 'u' })}
      where l.id = u.id and l.invoice_id = ${invoiceId}
    ), added as (
      -- lines the edit adds, after the last position
      insert into sales_invoice_line (invoice_id, ${LINE_COLUMNS})
      select ${invoiceId}::bigint, t.* from ${unnestRows(INVOICE_LINE_VALUES, changes.inserts, { alias: 't' })}
      order by t.position
      returning id, position
    ), inv as (
      -- the invoice's totals, re-priced over all its lines
      update sales_invoice
      set note = ${changes.note}, discount_percent = ${totals.discount_percent}::numeric,
        discount_amount = ${totals.discount_amount}::numeric, subtotal = ${totals.subtotal}::numeric,
        line_discount_total = ${totals.line_discount_total}::numeric, net_total = ${totals.net_total}::numeric,
        tax_total = ${totals.tax_total}::numeric, total = ${totals.total}::numeric,
        line_count = ${totals.line_count}::bigint, updated_at = now()
      where id = ${invoiceId}
    )
    select coalesce((select json_agg(json_build_object('id', id, 'position', position)) from added), '[]') as lines`.execute(
    trx,
  )
  return rows[0]?.lines ?? []
}

/** Adds payments to an invoice and, when `submit`, marks it submitted with its stock and rollups: one statement. */
export interface PaymentsUpdate {
  invoiceId: number
  payments: readonly NewPayment[]
  paidTotal: string
  changeDue: string
  submit: boolean
  storeResponse: RawBuilder<unknown> | null
  /** for a submit: its stock and rollups, counted at `at` (the transaction's time) */
  effect: SalesEffect | null
  at: Date
}

export async function updatePayments(trx: Transaction<Database>, values: PaymentsUpdate): Promise<void> {
  await sql`/* prepared */
    with new_payments as (
      -- the new tenders, in the order given
      insert into sales_payment (invoice_id, ${columnList(PAYMENT_VALUES)})
      select ${values.invoiceId}::bigint, ${columnList(PAYMENT_VALUES, 'p')}
      from ${paymentRows(values.payments)}
      order by p.n
    )${andCte(values.storeResponse)}${effectCtes(values.effect, {
      lines: storedLinesOf(values.invoiceId),
      reference: `sales_invoice:${values.invoiceId}`,
      invoiceId: values.invoiceId,
      at: values.at,
    })}
    update sales_invoice
    set paid_total = ${values.paidTotal}::numeric, change_due = ${values.changeDue}::numeric, updated_at = now()
      ${values.submit ? sql`, status = 'submitted', submitted_at = now()` : sql``}
    where id = ${values.invoiceId}
    returning ${stockGuard(values.effect)}`.execute(trx)
}

export async function markCancelled(
  trx: Transaction<Database>,
  invoiceId: number,
  storeResponse: RawBuilder<unknown> | null,
  /** for a submitted invoice: the stock coming back, and the sale leaving the rollups of `submittedAt` */
  effect: { effect: SalesEffect; submittedAt: Date } | null,
): Promise<void> {
  await sql`/* prepared */
    with noop as (
      -- WITH needs a first CTE; the response and the stock effect that follow are optional
      select 1
    )${andCte(storeResponse)}${effectCtes(effect?.effect ?? null, {
      lines: storedLinesOf(invoiceId),
      reference: `sales_invoice:${invoiceId}:cancel`,
      invoiceId,
      at: effect?.submittedAt ?? new Date(0),
    })}
    update sales_invoice set status = 'cancelled', cancelled_at = now(), updated_at = now()
    where id = ${invoiceId}
    returning ${stockGuard(effect?.effect ?? null)}`.execute(trx)
}

export interface NewReturn {
  /** taken by lockInvoiceForReturn */
  id: number
  invoiceId: number
  locationId: number
  reason: string | null
  refundMethod: PaymentMethod
  netAmount: string
  taxAmount: string
  totalAmount: string
  tokenId: number | null
  lines: readonly NewReturnLine[]
  storeResponse: RawBuilder<unknown> | null
  /** the stock coming back and the rollups of the hour of the return (`at`) */
  effect: SalesEffect
  at: Date
}

/**
 * Records a return, its lines, the returned quantities and amounts on the invoice lines, the
 * invoice, the stock coming back with its ledger rows, and the rollups: one statement.
 */
export async function insertReturn(trx: Transaction<Database>, values: NewReturn): Promise<{ id: number; created_at: Date }> {
  const { rows } = await sql<{ id: number; created_at: Date }>`/* prepared */
    with ret as (
      -- the return itself, with the id its response already names
      insert into sales_return (id, invoice_id, location_id, reason, refund_method, net_amount, tax_amount, total_amount, token_id)
      overriding system value
      values (${values.id}::bigint, ${values.invoiceId}, ${values.locationId}, ${values.reason}, ${values.refundMethod},
        ${values.netAmount}::numeric, ${values.taxAmount}::numeric, ${values.totalAmount}::numeric, ${values.tokenId}::bigint)
      returning id, created_at
    ), input as (
      -- the returned lines, sent as one array per column
      select * from ${unnestRows(RETURN_LINE_VALUES, values.lines, { alias: 't' })}
    ), return_lines as (
      -- the return's lines, in invoice line order
      insert into sales_return_line (return_id, ${columnList(RETURN_LINE_VALUES)})
      select ret.id, ${columnList(RETURN_LINE_VALUES, 't')}
      from ret cross join input t order by t.invoice_line_id
    ), lines as (
      -- what each invoice line has had returned so far, so no later return can exceed what was sold
      update sales_invoice_line l
      set returned_quantity = l.returned_quantity + t.quantity, returned_net = l.returned_net + t.net_amount,
        returned_tax = l.returned_tax + t.tax_amount
      from input t where l.id = t.invoice_line_id and l.invoice_id = ${values.invoiceId}
    ), inv as (
      -- the invoice's returned total, for its refunds shown with it
      update sales_invoice set returned_total = returned_total + ${values.totalAmount}::numeric, updated_at = now()
      where id = ${values.invoiceId}
    )${andCte(values.storeResponse)}${effectCtes(values.effect, {
      lines: sql`select product_id, base_quantity, net_amount, tax_amount, total_amount from input`,
      reference: `sales_return:${values.id}`,
      invoiceId: values.invoiceId,
      at: values.at,
    })}
    select id, created_at, ${stockGuard(values.effect)} from ret`.execute(trx)
  return rows[0]!
}
