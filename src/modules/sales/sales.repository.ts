import { type RawBuilder, sql } from 'kysely'
import type { Executor } from '../../infra/db/database.ts'
import { pgArray, pgArrayElement } from '../../infra/db/pg-array.ts'
import { refuseShortStock, stockMovementCtes } from '../inventory/index.ts'
import { type SalesRollupDelta, salesRollupCtes } from '../reporting/index.ts'
import type { InvoiceStatus, PaymentMethod } from './sales.tables.ts'

/** A line as stored; decimals are exact strings. Read back through JSON, so snake_case keys. */
export interface InvoiceLineRecord {
  id: number
  position: number
  product_id: number
  sku: string
  name: string
  unit: string
  quantity: string
  factor: string
  base_quantity: string
  unit_price: string
  price_overridden: boolean
  tax_rate: string
  gross_amount: string
  discount_percent: string | null
  discount_amount: string
  invoice_discount_amount: string
  net_amount: string
  tax_amount: string
  total_amount: string
  returned_quantity: string
  returned_net: string
  returned_tax: string
}

export interface PaymentRecord {
  method: PaymentMethod
  amount: string
  tendered: string
  change: string
  reference: string | null
  /** a Date when written in this process, an ISO-like string when read back through JSON */
  created_at: Date | string
}

/** An invoice's amounts as priced: the invoice discount as entered, and the line sums. */
export interface InvoiceTotals {
  discount_percent: string | null
  discount_amount: string
  subtotal: string
  line_discount_total: string
  net_total: string
  tax_total: string
  total: string
  line_count: number
}

export interface InvoiceRecord extends InvoiceTotals {
  id: number
  location_id: number
  status: InvoiceStatus
  note: string | null
  paid_total: string
  change_due: string
  returned_total: string
  created_by: number | null
  created_at: Date
  updated_at: Date
  submitted_at: Date | null
  cancelled_at: Date | null
  lines: InvoiceLineRecord[]
  payments: PaymentRecord[]
}

/** The transaction's clock (now() is fixed for a whole transaction), read with the invoice. */
export interface LockedInvoiceRecord extends InvoiceRecord {
  now: Date
}

// Numerics leave as text inside JSON: JSON numbers would pass through binary floating point.
const invoiceColumns = sql`
  i.id, i.location_id, i.status, i.note, i.discount_percent, i.discount_amount, i.subtotal,
  i.line_discount_total, i.net_total, i.tax_total, i.total, i.paid_total, i.change_due, i.returned_total,
  i.line_count, i.created_by, i.created_at, i.updated_at, i.submitted_at, i.cancelled_at,
  coalesce((
    select json_agg(json_build_object(
      'id', l.id, 'position', l.position, 'product_id', l.product_id, 'sku', l.sku, 'name', l.name,
      'unit', l.unit, 'quantity', l.quantity::text, 'factor', l.factor::text,
      'base_quantity', l.base_quantity::text, 'unit_price', l.unit_price::text,
      'price_overridden', l.price_overridden, 'tax_rate', l.tax_rate::text,
      'gross_amount', l.gross_amount::text, 'discount_percent', l.discount_percent::text,
      'discount_amount', l.discount_amount::text, 'invoice_discount_amount', l.invoice_discount_amount::text,
      'net_amount', l.net_amount::text, 'tax_amount', l.tax_amount::text, 'total_amount', l.total_amount::text,
      'returned_quantity', l.returned_quantity::text, 'returned_net', l.returned_net::text,
      'returned_tax', l.returned_tax::text) order by l.position)
    from sales_invoice_line l where l.invoice_id = i.id), '[]') as lines,
  coalesce((
    select json_agg(json_build_object(
      'method', p.method, 'amount', p.amount::text, 'tendered', p.tendered::text, 'change', p.change::text,
      'reference', p.reference, 'created_at', p.created_at) order by p.id)
    from sales_payment p where p.invoice_id = i.id), '[]') as payments`

/**
 * Locks the invoice row and reads it with its lines and payments, in one statement. Every writer
 * of an invoice, its lines or payments takes this lock first, so they serialize per invoice.
 */
export async function lockInvoice(db: Executor, id: number): Promise<LockedInvoiceRecord | undefined> {
  const { rows } = await sql<LockedInvoiceRecord>`/* prepared */
    select ${invoiceColumns}, now() as now from sales_invoice i where i.id = ${id} for update of i`.execute(db)
  return rows[0]
}

export async function findInvoice(db: Executor, id: number): Promise<InvoiceRecord | undefined> {
  const { rows } = await sql<InvoiceRecord>`select ${invoiceColumns} from sales_invoice i where i.id = ${id}`.execute(db)
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

/** A page of invoices with their lines and payments: one statement. */
export async function listInvoices(db: Executor, filter: InvoiceFilter): Promise<InvoiceRecord[]> {
  const conditions: RawBuilder<unknown>[] = [sql`true`]
  if (filter.locationIds) conditions.push(sql`i.location_id = any(${[...filter.locationIds]}::bigint[])`)
  if (filter.status) conditions.push(sql`i.status = ${filter.status}`)
  if (filter.from) conditions.push(sql`i.created_at >= ${filter.from}`)
  if (filter.to) conditions.push(sql`i.created_at < ${filter.to}`)
  if (filter.after !== undefined) conditions.push(sql`i.id > ${filter.after}`)
  const { rows } = await sql<InvoiceRecord>`
    select ${invoiceColumns} from sales_invoice i
    where ${sql.join(conditions, sql` and `)}
    order by i.id limit ${filter.limit}`.execute(db)
  return rows
}

export type NewLine = Omit<InvoiceLineRecord, 'id' | 'returned_quantity' | 'returned_net' | 'returned_tax'>

export interface NewPayment {
  method: PaymentMethod
  amount: string
  tendered: string
  change: string
  reference: string | null
}

/**
 * New lines as rows: one array parameter per column, each array literal built in a single pass
 * over the lines (see pgArray for why the driver does not build them).
 */
function lineRows(lines: readonly NewLine[]) {
  const q = pgArrayElement
  const c = new Array<string>(18).fill('')
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!
    const sep = i === 0 ? '' : ','
    c[0] += sep + l.position
    c[1] += sep + l.product_id
    c[2] += sep + q(l.sku)
    c[3] += sep + q(l.name)
    c[4] += sep + q(l.unit)
    c[5] += sep + q(l.quantity)
    c[6] += sep + q(l.factor)
    c[7] += sep + q(l.base_quantity)
    c[8] += sep + q(l.unit_price)
    c[9] += sep + (l.price_overridden ? 't' : 'f')
    c[10] += sep + q(l.tax_rate)
    c[11] += sep + q(l.gross_amount)
    c[12] += sep + (l.discount_percent === null ? 'NULL' : q(l.discount_percent))
    c[13] += sep + q(l.discount_amount)
    c[14] += sep + q(l.invoice_discount_amount)
    c[15] += sep + q(l.net_amount)
    c[16] += sep + q(l.tax_amount)
    c[17] += sep + q(l.total_amount)
  }
  const [position, productId, sku, name, unit, quantity, factor, baseQuantity, unitPrice, overridden, taxRate, gross,
    discountPercent, discountAmount, invoiceDiscount, net, tax, total] = c.map((elements) => `{${elements}}`)
  return sql`unnest(
    ${position}::bigint[], ${productId}::bigint[], ${sku}::text[], ${name}::text[], ${unit}::text[],
    ${quantity}::numeric[], ${factor}::numeric[], ${baseQuantity}::numeric[], ${unitPrice}::numeric[],
    ${overridden}::boolean[], ${taxRate}::numeric[], ${gross}::numeric[], ${discountPercent}::numeric[],
    ${discountAmount}::numeric[], ${invoiceDiscount}::numeric[], ${net}::numeric[], ${tax}::numeric[], ${total}::numeric[]
  ) as t(position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price, price_overridden,
    tax_rate, gross_amount, discount_percent, discount_amount, invoice_discount_amount, net_amount, tax_amount,
    total_amount)`
}

const lineColumns = sql`position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price,
  price_overridden, tax_rate, gross_amount, discount_percent, discount_amount, invoice_discount_amount,
  net_amount, tax_amount, total_amount`

function paymentArrays(payments: readonly NewPayment[]) {
  return sql`unnest(
    ${payments.map((p) => p.method)}::text[], ${payments.map((p) => p.amount)}::numeric[],
    ${payments.map((p) => p.tendered)}::numeric[], ${payments.map((p) => p.change)}::numeric[],
    ${payments.map((p) => p.reference)}::text[]
  ) with ordinality as p(method, amount, tendered, change, reference, n)`
}

export interface InsertedInvoice {
  id: number
  created_at: Date
  updated_at: Date
  submitted_at: Date | null
  /** the new lines' ids, in position order */
  lineIds: number[]
}

/** The catalog price a line was priced with (from the cache or a lookup), re-checked in the write. */
export interface CatalogCheck {
  position: number
  /** price of one base unit */
  price: string
}

/**
 * Writes an invoice with all its lines and payments (and, for an immediate sale, its stock
 * movements, ledger rows and rollups) in one statement — a whole sale, atomic without a
 * transaction around it; a stock shortage aborts it (inventory's shortStockOf reads the error).
 * The product values the lines were priced with (sku, name, unit factor, tax rate, and the given
 * base prices) are compared with the catalog first, and nothing is written if any differs: the
 * result is then 'stale'. It is undefined when the location does not exist.
 */
export async function insertInvoice(
  db: Executor,
  values: InvoiceTotals & {
    location_id: number
    status: InvoiceStatus
    note: string | null
    paid_total: string
    change_due: string
    created_by: number | null
    lines: readonly NewLine[]
    payments: readonly NewPayment[]
    /** the catalog prices the lines were priced with, to check before writing */
    catalog: readonly CatalogCheck[]
    /** for a sale submitted at once: its stock and rollups */
    effect: SalesEffect | null
  },
): Promise<InsertedInvoice | 'stale' | undefined> {
  const submitted = values.status === 'submitted'
  const check = values.catalog
  const { rows } = await sql<Omit<InsertedInvoice, 'lineIds'> & { stale: number; line_ids: string | null }>`/* prepared */
    with input as (
      select * from ${lineRows(values.lines)}
    ), stale as (
      -- a subquery per line, so each is an index probe whatever the catalog's size
      select t.position
      from input t
      join unnest(${pgArray(check.map((c) => c.position))}::bigint[], ${pgArray(check.map((c) => c.price))}::numeric[])
        as c(position, price) on c.position = t.position
      where (
        select p.active and p.sku = t.sku and p.name = t.name and p.price = c.price and p.tax_rate = t.tax_rate
          and case when t.unit = p.base_unit then t.factor = 1 else coalesce((
            select pu.factor = t.factor from product_unit pu where pu.product_id = p.id and pu.unit_code = t.unit
          ), false) end
        from product p where p.id = t.product_id
      ) is not true
    ), inv as (
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
      insert into sales_invoice_line (invoice_id, ${lineColumns})
      select inv.id, t.* from inv cross join input t
      order by t.position
      returning id, position
    ), new_payments as (
      insert into sales_payment (invoice_id, method, amount, tendered, change, reference)
      select inv.id, p.method, p.amount, p.tendered, p.change, p.reference
      from inv cross join ${paymentArrays(values.payments)}
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
  updates: readonly (NewLine & { id: number })[]
  inserts: readonly NewLine[]
}

export async function updateDraft(db: Executor, changes: DraftChanges): Promise<{ id: number; position: number }[]> {
  const { invoiceId, totals, updates } = changes
  const column = <K extends keyof (NewLine & { id: number })>(key: K) => updates.map((l) => l[key])
  const { rows } = await sql<{ lines: { id: number; position: number }[] }>`
    with removed as (
      delete from sales_invoice_line where invoice_id = ${invoiceId} and id = any(${[...changes.removeIds]}::bigint[])
    ), changed as (
      update sales_invoice_line l
      set quantity = u.quantity, base_quantity = u.base_quantity, unit_price = u.unit_price,
        price_overridden = u.price_overridden, gross_amount = u.gross_amount, discount_percent = u.discount_percent,
        discount_amount = u.discount_amount, invoice_discount_amount = u.invoice_discount_amount,
        net_amount = u.net_amount, tax_amount = u.tax_amount, total_amount = u.total_amount
      from unnest(
        ${column('id')}::bigint[], ${column('quantity')}::numeric[], ${column('base_quantity')}::numeric[],
        ${column('unit_price')}::numeric[], ${column('price_overridden')}::boolean[], ${column('gross_amount')}::numeric[],
        ${column('discount_percent')}::numeric[], ${column('discount_amount')}::numeric[],
        ${column('invoice_discount_amount')}::numeric[], ${column('net_amount')}::numeric[],
        ${column('tax_amount')}::numeric[], ${column('total_amount')}::numeric[]
      ) as u(id, quantity, base_quantity, unit_price, price_overridden, gross_amount, discount_percent,
        discount_amount, invoice_discount_amount, net_amount, tax_amount, total_amount)
      where l.id = u.id and l.invoice_id = ${invoiceId}
    ), added as (
      insert into sales_invoice_line (invoice_id, ${lineColumns})
      select ${invoiceId}::bigint, t.* from ${lineRows(changes.inserts)}
      order by t.position
      returning id, position
    ), inv as (
      update sales_invoice
      set note = ${changes.note}, discount_percent = ${totals.discount_percent}::numeric,
        discount_amount = ${totals.discount_amount}::numeric, subtotal = ${totals.subtotal}::numeric,
        line_discount_total = ${totals.line_discount_total}::numeric, net_total = ${totals.net_total}::numeric,
        tax_total = ${totals.tax_total}::numeric, total = ${totals.total}::numeric,
        line_count = ${totals.line_count}::bigint, updated_at = now()
      where id = ${invoiceId}
    )
    select coalesce((select json_agg(json_build_object('id', id, 'position', position)) from added), '[]') as lines`.execute(
    db,
  )
  return rows[0]?.lines ?? []
}

/** The invoice-level change to the rollups (signed); the per-product change comes from the lines. */
export type RollupTotals = Pick<SalesRollupDelta, 'invoices' | 'returns' | 'netAmount' | 'taxAmount' | 'totalAmount' | 'discountAmount'>

/**
 * What a sale, cancel or return does beyond its own rows: stock moves (a sale takes, a cancel or
 * return gives back) with ledger rows, and the rollups change — all computed in SQL from the
 * lines the statement writes or reads, so they always agree with those lines.
 */
export interface SalesEffect {
  kind: 'sale' | 'cancel' | 'return'
  locationId: number
  tokenId: number | null
  totals: RollupTotals
}

/**
 * The effect as extra CTEs of a write statement. `lines` is SQL selecting (product_id,
 * base_quantity, net_amount, tax_amount, total_amount) of the lines concerned. Stock rows are
 * locked before rollup rows in every sales statement (see reporting's salesRollupCtes).
 */
function effectCtes(
  effect: SalesEffect | null,
  where: {
    lines: RawBuilder<unknown>
    reference: string | RawBuilder<string>
    invoiceId: number | RawBuilder<number>
    at: Date | RawBuilder<Date>
    when?: RawBuilder<boolean>
  },
) {
  if (!effect) return sql``
  const gate = where.when ? { when: where.when } : {}
  // a sale takes stock and adds to the rollups; a cancel or a return does the opposite
  const [stockSign, sign] = effect.kind === 'sale' ? [sql`-1`, sql`1`] : [sql`1`, sql`-1`]
  const stock = stockMovementCtes(
    sql`select ${effect.locationId}::bigint, l.product_id, ${stockSign} * l.base_quantity, ${effect.kind}::text from (${where.lines}) as l`,
    { reference: where.reference, tokenId: effect.tokenId },
    gate,
  )
  const rollups = salesRollupCtes(
    {
      ...effect.totals,
      locationId: effect.locationId,
      at: where.at,
      invoiceId: where.invoiceId,
      products: sql`select l.product_id, ${sign} * l.base_quantity, ${sign} * l.net_amount, ${sign} * l.tax_amount,
        ${sign} * l.total_amount from (${where.lines}) as l`,
    },
    { ...gate, after: 'stock_applied' },
  )
  return sql`, ${stock}, ${rollups}`
}

/** The output column that aborts the statement when its stock falls short (always true without an effect). */
function stockGuard(effect: SalesEffect | null) {
  return effect ? sql`${refuseShortStock} as stock_ok` : sql`true as stock_ok`
}

const storedLines = (invoiceId: number) =>
  sql`select product_id, base_quantity, net_amount, tax_amount, total_amount from sales_invoice_line where invoice_id = ${invoiceId}`

/** The response to store with an idempotency key, in the same statement as the write. */
export interface IdempotentResponse {
  id: number
  response: unknown
}

function recordResponse(idempotency: IdempotentResponse | null) {
  if (!idempotency) return sql``
  return sql`, idem as (
    update idempotency_key set response = ${JSON.stringify(idempotency.response)}::jsonb where id = ${idempotency.id}
  )`
}

/** Adds payments to an invoice and, when `submit`, marks it submitted with its stock and rollups: one statement. */
export interface PaymentsUpdate {
  invoiceId: number
  payments: readonly NewPayment[]
  paidTotal: string
  changeDue: string
  submit: boolean
  idempotency: IdempotentResponse | null
  /** for a submit: its stock and rollups, counted at `at` (the transaction's time) */
  effect: SalesEffect | null
  at: Date
}

export async function updatePayments(db: Executor, values: PaymentsUpdate): Promise<void> {
  await sql`/* prepared */
    with new_payments as (
      insert into sales_payment (invoice_id, method, amount, tendered, change, reference)
      select ${values.invoiceId}::bigint, p.method, p.amount, p.tendered, p.change, p.reference
      from ${paymentArrays(values.payments)}
      order by p.n
    )${recordResponse(values.idempotency)}${effectCtes(values.effect, {
      lines: storedLines(values.invoiceId),
      reference: `sales_invoice:${values.invoiceId}`,
      invoiceId: values.invoiceId,
      at: values.at,
    })}
    update sales_invoice
    set paid_total = ${values.paidTotal}::numeric, change_due = ${values.changeDue}::numeric, updated_at = now()
      ${values.submit ? sql`, status = 'submitted', submitted_at = now()` : sql``}
    where id = ${values.invoiceId}
    returning ${stockGuard(values.effect)}`.execute(db)
}

export async function markCancelled(
  db: Executor,
  invoiceId: number,
  idempotency: IdempotentResponse | null,
  /** for a submitted invoice: the stock coming back, and the sale leaving the rollups of `submittedAt` */
  effect: { effect: SalesEffect; submittedAt: Date } | null,
): Promise<void> {
  await sql`/* prepared */
    with noop as (select 1)${recordResponse(idempotency)}${effectCtes(effect?.effect ?? null, {
      lines: storedLines(invoiceId),
      reference: `sales_invoice:${invoiceId}:cancel`,
      invoiceId,
      at: effect?.submittedAt ?? new Date(0),
    })}
    update sales_invoice set status = 'cancelled', cancelled_at = now(), updated_at = now()
    where id = ${invoiceId}
    returning ${stockGuard(effect?.effect ?? null)}`.execute(db)
}

export interface NewReturnLine {
  invoice_line_id: number
  product_id: number
  quantity: string
  base_quantity: string
  net_amount: string
  tax_amount: string
  total_amount: string
}

/**
 * Records a return, its lines, the returned quantities and amounts on the invoice lines, the
 * invoice, the stock coming back with its ledger rows, and the rollups: one statement. The stored idempotent response gets the new return's id in SQL.
 */
export async function insertReturn(
  db: Executor,
  values: {
    invoiceId: number
    locationId: number
    reason: string | null
    refundMethod: PaymentMethod
    netAmount: string
    taxAmount: string
    totalAmount: string
    tokenId: number | null
    lines: readonly NewReturnLine[]
    idempotency: IdempotentResponse | null
    /** the stock coming back and the rollups of the hour of the return (`at`) */
    effect: SalesEffect
    at: Date
  },
): Promise<{ id: number; created_at: Date }> {
  const column = <K extends keyof NewReturnLine>(key: K) => values.lines.map((l) => l[key])
  const idem = values.idempotency
  const { rows } = await sql<{ id: number; created_at: Date }>`/* prepared */
    with ret as (
      insert into sales_return (invoice_id, location_id, reason, refund_method, net_amount, tax_amount, total_amount, token_id)
      values (${values.invoiceId}, ${values.locationId}, ${values.reason}, ${values.refundMethod},
        ${values.netAmount}::numeric, ${values.taxAmount}::numeric, ${values.totalAmount}::numeric, ${values.tokenId}::bigint)
      returning id, created_at
    ), input as (
      select * from unnest(
        ${column('invoice_line_id')}::bigint[], ${column('product_id')}::bigint[], ${column('quantity')}::numeric[],
        ${column('base_quantity')}::numeric[], ${column('net_amount')}::numeric[], ${column('tax_amount')}::numeric[],
        ${column('total_amount')}::numeric[]
      ) as t(invoice_line_id, product_id, quantity, base_quantity, net_amount, tax_amount, total_amount)
    ), return_lines as (
      insert into sales_return_line (return_id, invoice_line_id, product_id, quantity, base_quantity, net_amount, tax_amount, total_amount)
      select ret.id, t.invoice_line_id, t.product_id, t.quantity, t.base_quantity, t.net_amount, t.tax_amount, t.total_amount
      from ret cross join input t order by t.invoice_line_id
    ), lines as (
      update sales_invoice_line l
      set returned_quantity = l.returned_quantity + t.quantity, returned_net = l.returned_net + t.net_amount,
        returned_tax = l.returned_tax + t.tax_amount
      from input t where l.id = t.invoice_line_id and l.invoice_id = ${values.invoiceId}
    ), inv as (
      update sales_invoice set returned_total = returned_total + ${values.totalAmount}::numeric, updated_at = now()
      where id = ${values.invoiceId}
    )${
      idem
        ? sql`, idem as (
      update idempotency_key
      set response = jsonb_set(${JSON.stringify(idem.response)}::jsonb, '{return,id}', to_jsonb((select id from ret)))
      where id = ${idem.id}
    )`
        : sql``
    }${effectCtes(values.effect, {
      lines: sql`select product_id, base_quantity, net_amount, tax_amount, total_amount from input`,
      reference: sql<string>`'sales_return:' || (select id from ret)`,
      invoiceId: values.invoiceId,
      at: values.at,
    })}
    select id, created_at, ${stockGuard(values.effect)} from ret`.execute(db)
  return rows[0]!
}

export function findIdempotencyKey(db: Executor, scope: string, key: string) {
  return db
    .selectFrom('idempotency_key')
    .select(['id', 'operation', 'request_hash', 'response'])
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirst()
}

export async function recordIdempotentResponse(db: Executor, idempotency: IdempotentResponse): Promise<void> {
  await db
    .updateTable('idempotency_key')
    .set({ response: JSON.stringify(idempotency.response) })
    .where('id', '=', idempotency.id)
    .execute()
}

/**
 * Deletes up to `batchSize` idempotency keys created before `olderThan`; returns how many. The
 * outer `created_at` test is re-checked on a row that changed while the delete waited for its
 * lock, so a key renewed meanwhile (created_at moved to now) is left alone.
 */
export async function deleteExpiredIdempotencyKeys(db: Executor, olderThan: Date, batchSize: number): Promise<number> {
  const result = await sql`
    delete from idempotency_key
    where id in (select id from idempotency_key where created_at < ${olderThan} order by id limit ${batchSize})
      and created_at < ${olderThan}`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}

/**
 * Claims a key for this request; undefined when someone already holds it (their row is
 * committed). A key older than `ttlHours` (by the database's clock, which also wrote created_at)
 * counts as absent: its row is taken over for this request. A concurrent claim
 * of the same expired key waits on the row lock and then sees the renewed, fresh row.
 */
export async function claimUnexpiredIdempotencyKey(
  db: Executor,
  values: { scope: string; key: string; operation: string; requestHash: string; ttlHours: number },
): Promise<{ id: number } | undefined> {
  const { rows } = await sql<{ id: number }>`
    insert into idempotency_key (scope, key, operation, request_hash)
    values (${values.scope}, ${values.key}, ${values.operation}, ${values.requestHash})
    on conflict (scope, key) do update
    set operation = excluded.operation, request_hash = excluded.request_hash, response = null, created_at = now()
    where idempotency_key.created_at < now() - make_interval(hours => ${values.ttlHours}::integer)
    returning id`.execute(db)
  return rows[0]
}
