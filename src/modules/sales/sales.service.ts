import { createHash } from 'node:crypto'
import type { Db, Executor } from '../../infra/db/database.ts'
import { Big, decimalString, money, parseDecimal } from '../../infra/decimal.ts'
import { type AppError, conflict, forbidden, invalid, notFound } from '../../infra/errors.ts'
import { type Principal, requireLocation, requireRole } from '../access/index.ts'
import { type LineRef, resolveLines } from '../catalog/index.ts'
import { shortStockOf } from '../inventory/index.ts'
import {
  applyTenders,
  type Discount,
  type PricedInvoice,
  priceInvoice,
  refundFor,
  roundMoney,
  type TenderInput,
} from './sales.pricing.ts'
import { CatalogCache, type SaleLine, saleLinesOf } from './sales.catalog-cache.ts'
import * as repo from './sales.repository.ts'
import type { InvoiceLineRecord, InvoiceRecord, NewLine, PaymentRecord } from './sales.repository.ts'
import type { InvoiceStatus, PaymentMethod } from './sales.tables.ts'

type DecimalValue = string | number

export interface LineInput extends LineRef {
  /** price of one `unit`; only managers and admins may change it from the catalog price */
  unitPrice?: DecimalValue | undefined
  discountPercent?: DecimalValue | undefined
  discountAmount?: DecimalValue | undefined
}

export interface PaymentInput {
  method: PaymentMethod
  /** for cash, what the customer handed over; change is computed */
  amount: DecimalValue
  reference?: string | undefined
}

export interface CreateInvoiceInput {
  locationId: number
  note?: string | undefined
  lines?: LineInput[] | undefined
  discountPercent?: DecimalValue | undefined
  discountAmount?: DecimalValue | undefined
  payments?: PaymentInput[] | undefined
  /** create, pay and submit in one transaction (a till finishing a sale in one request) */
  submit?: boolean | undefined
}

export interface LineChangeInput {
  lineId: number
  quantity?: DecimalValue | undefined
  unitPrice?: DecimalValue | undefined
  discountPercent?: DecimalValue | undefined
  discountAmount?: DecimalValue | undefined
}

export interface EditInvoiceInput {
  note?: string | null | undefined
  /** null removes the invoice discount */
  discountPercent?: DecimalValue | null | undefined
  discountAmount?: DecimalValue | null | undefined
  add?: LineInput[] | undefined
  change?: LineChangeInput[] | undefined
  remove?: number[] | undefined
}

export interface SubmitInvoiceInput {
  payments?: PaymentInput[] | undefined
}

export interface ReturnInput {
  lines: { lineId: number; quantity: DecimalValue }[]
  reason?: string | undefined
  refundMethod?: PaymentMethod | undefined
}

export interface WriteOptions {
  /** the Idempotency-Key of the request: a retry with the same key returns the first response */
  idempotencyKey?: string | undefined
}

export interface Replayable<T> {
  body: T
  /** true when this is the stored response of an earlier request with the same key */
  replayed: boolean
}

export interface InvoiceLine {
  id: number
  position: number
  productId: number
  sku: string
  name: string
  unit: string
  quantity: string
  factor: string
  baseQuantity: string
  unitPrice: string
  priceOverridden: boolean
  taxRate: string
  grossAmount: string
  discountPercent: string | null
  discountAmount: string
  invoiceDiscountAmount: string
  netAmount: string
  taxAmount: string
  totalAmount: string
  returnedQuantity: string
  returnedNet: string
  returnedTax: string
}

export interface Payment {
  method: PaymentMethod
  amount: string
  tendered: string
  change: string
  reference: string | null
  createdAt: string
}

export interface Invoice {
  id: number
  locationId: number
  status: InvoiceStatus
  note: string | null
  discountPercent: string | null
  discountAmount: string
  subtotal: string
  lineDiscountTotal: string
  netTotal: string
  taxTotal: string
  total: string
  paidTotal: string
  changeDue: string
  amountDue: string
  returnedTotal: string
  lineCount: number
  createdBy: number | null
  createdAt: string
  updatedAt: string
  submittedAt: string | null
  cancelledAt: string | null
  lines: InvoiceLine[]
  payments: Payment[]
}

export interface SalesReturn {
  id: number
  invoiceId: number
  reason: string | null
  refundMethod: PaymentMethod
  netAmount: string
  taxAmount: string
  totalAmount: string
  createdAt: string
  lines: {
    lineId: number
    productId: number
    quantity: string
    baseQuantity: string
    netAmount: string
    taxAmount: string
    totalAmount: string
  }[]
}

export interface ListInvoicesQuery {
  locationId?: number | undefined
  status?: InvoiceStatus | undefined
  from?: string | undefined
  to?: string | undefined
  after?: number | undefined
  limit?: number | undefined
}

const ZERO = new Big(0)
const MAX_KEY_LENGTH = 200
const CANONICAL_MONEY = /^-?\d+\.\d\d$/
const CANONICAL_DECIMAL = /^-?(0|[1-9]\d*)(\.\d*[1-9])?$/
// Views are built for every line of every response: skip big.js when the text is canonical already.
const moneyText = (value: string) => (CANONICAL_MONEY.test(value) ? value : money(value))
const decimalText = (value: string) => (CANONICAL_DECIMAL.test(value) && value !== '-0' ? value : decimalString(value))
/** -x of a decimal string, without big.js. */
const negated = (value: string) => {
  const text = decimalText(value)
  return text === '0' ? text : text.startsWith('-') ? text.slice(1) : `-${text}`
}
const iso = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString()
const baseUnits = (value: Big) => value.round(6, Big.roundHalfUp)

function toLine(l: InvoiceLineRecord): InvoiceLine {
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
    unitPrice: decimalText(l.unit_price),
    priceOverridden: l.price_overridden,
    taxRate: decimalText(l.tax_rate),
    grossAmount: moneyText(l.gross_amount),
    discountPercent: l.discount_percent === null ? null : decimalText(l.discount_percent),
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

function toPayment(p: PaymentRecord): Payment {
  return {
    method: p.method,
    amount: moneyText(p.amount),
    tendered: moneyText(p.tendered),
    change: moneyText(p.change),
    reference: p.reference,
    createdAt: iso(p.created_at),
  }
}

/** One mapping for rows read back and for state computed in this process, so both look the same. */
export function toInvoice(r: InvoiceRecord): Invoice {
  const due = new Big(r.total).minus(r.paid_total)
  return {
    id: r.id,
    locationId: r.location_id,
    status: r.status,
    note: r.note,
    discountPercent: r.discount_percent === null ? null : decimalText(r.discount_percent),
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
  }
}

/** Stable JSON: object keys sorted, so the same body always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

function centsAmount(value: DecimalValue, field: string): Big {
  const amount = parseDecimal(value, field)
  if (amount.lt(0) || !amount.eq(roundMoney(amount))) {
    throw invalid('SALES_INVALID_AMOUNT', `${field} must be a non-negative number of whole cents.`, { field })
  }
  return amount
}

function percent(value: DecimalValue, field: string): Big {
  const p = parseDecimal(value, field)
  if (p.lt(0) || p.gt(100)) throw invalid('SALES_INVALID_PERCENT', `${field} must be from 0 to 100.`, { field })
  return p
}

function discountOf(
  input: { discountPercent?: DecimalValue | null | undefined; discountAmount?: DecimalValue | null | undefined },
  field: string,
): Discount | undefined {
  const hasPercent = input.discountPercent !== undefined && input.discountPercent !== null
  const hasAmount = input.discountAmount !== undefined && input.discountAmount !== null
  if (hasPercent && hasAmount) {
    throw invalid('SALES_DISCOUNT_AMBIGUOUS', `${field}: give discountPercent or discountAmount, not both.`, { field })
  }
  if (hasPercent) return { percent: percent(input.discountPercent!, `${field}.discountPercent`), amount: ZERO }
  if (hasAmount) return { percent: null, amount: centsAmount(input.discountAmount!, `${field}.discountAmount`) }
  return undefined
}

const NO_DISCOUNT: Discount = { percent: null, amount: ZERO }

function tendersOf(payments: readonly PaymentInput[] | undefined): TenderInput[] {
  return (payments ?? []).map((p, i) => ({
    method: p.method,
    amount: parseDecimal(p.amount, `payments[${i}].amount`),
    reference: p.reference ?? null,
  }))
}

/** A line while it is being priced: decimals as Big. */
interface WorkingLine {
  id: number | undefined
  position: number
  productId: number
  sku: string
  name: string
  unit: string
  quantity: Big
  factor: Big
  unitPrice: Big
  priceOverridden: boolean
  taxRate: Big
  discount: Discount
}

function positiveQuantity(value: DecimalValue, field: string): Big {
  const quantity = parseDecimal(value, field)
  if (quantity.lte(0)) throw invalid('SALES_QUANTITY_NOT_POSITIVE', `${field} must be above zero.`, { field })
  return quantity
}

function mayOverridePrice(principal: Principal): boolean {
  return principal.role === 'admin' || principal.role === 'manager'
}

function refuseOverride(field: string): AppError {
  return forbidden('SALES_PRICE_OVERRIDE_FORBIDDEN', `${field}: only a manager or an admin may change a price.`, { field })
}

/** Request lines (quantities validated already) → working lines, with catalog prices unless an allowed role overrides them. */
function newWorkingLines(
  principal: Principal,
  inputs: readonly LineInput[],
  resolved: readonly SaleLine[],
  firstPosition: number,
  field: string,
): WorkingLine[] {
  const inactive = resolved.filter((r) => !r.active)
  if (inactive.length > 0) {
    throw invalid('SALES_PRODUCT_INACTIVE', `${inactive.length} line(s) name a product that is no longer sold.`, {
      lines: inactive.map((r) => ({ line: r.index, sku: r.sku })),
    })
  }
  return resolved.map((r) => {
    const input = inputs[r.index]!
    const name = `${field}[${r.index}]`
    const catalogPrice = r.unitPrice
    let unitPrice = catalogPrice
    if (input.unitPrice !== undefined) {
      unitPrice = parseDecimal(input.unitPrice, `${name}.unitPrice`)
      if (unitPrice.lt(0)) throw invalid('SALES_INVALID_AMOUNT', `${name}.unitPrice must not be negative.`)
      if (!unitPrice.eq(catalogPrice) && !mayOverridePrice(principal)) throw refuseOverride(`${name}.unitPrice`)
    }
    return {
      id: undefined,
      position: firstPosition + r.index,
      productId: r.productId,
      sku: r.sku,
      name: r.name,
      unit: r.unit,
      quantity: r.quantity,
      factor: r.factor,
      unitPrice,
      priceOverridden: !unitPrice.eq(catalogPrice),
      taxRate: r.taxRateValue,
      discount: discountOf(input, name) ?? NO_DISCOUNT,
    }
  })
}

function workingLineOf(l: InvoiceLineRecord): WorkingLine {
  return {
    id: l.id,
    position: l.position,
    productId: l.product_id,
    sku: l.sku,
    name: l.name,
    unit: l.unit,
    quantity: new Big(l.quantity),
    factor: new Big(l.factor),
    unitPrice: new Big(l.unit_price),
    priceOverridden: l.price_overridden,
    taxRate: new Big(l.tax_rate),
    discount:
      l.discount_percent !== null
        ? { percent: new Big(l.discount_percent), amount: ZERO }
        : { percent: null, amount: new Big(l.discount_amount) },
  }
}

function price(lines: readonly WorkingLine[], invoiceDiscount: Discount): { priced: PricedInvoice; rows: NewLine[] } {
  const priced = priceInvoice(lines, invoiceDiscount)
  const rows = lines.map((l, i): NewLine => {
    const p = priced.lines[i]!
    return {
      position: l.position,
      product_id: l.productId,
      sku: l.sku,
      name: l.name,
      unit: l.unit,
      quantity: decimalString(l.quantity),
      factor: decimalString(l.factor),
      base_quantity: decimalString(baseUnits(l.quantity.times(l.factor))),
      unit_price: decimalString(l.unitPrice),
      price_overridden: l.priceOverridden,
      tax_rate: decimalString(l.taxRate),
      gross_amount: p.grossAmount,
      discount_percent: l.discount.percent === null ? null : decimalString(l.discount.percent),
      discount_amount: p.discountAmount,
      invoice_discount_amount: p.invoiceDiscountAmount,
      net_amount: p.netAmount,
      tax_amount: p.taxAmount,
      total_amount: p.totalAmount,
    }
  })
  return { priced, rows }
}

function totalsOf(priced: PricedInvoice, invoiceDiscount: Discount, lineCount: number): repo.InvoiceTotals {
  return {
    discount_percent: invoiceDiscount.percent === null ? null : decimalString(invoiceDiscount.percent),
    discount_amount: priced.discountAmount,
    subtotal: priced.subtotal,
    line_discount_total: priced.lineDiscountTotal,
    net_total: priced.netTotal,
    tax_total: priced.taxTotal,
    total: priced.total,
    line_count: lineCount,
  }
}

// Written out rather than spread: this runs for every line of every sale, and V8 spreads slowly.
function storedLine(row: NewLine, id: number, returned?: InvoiceLineRecord): InvoiceLineRecord {
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

function notPaid(total: Big, paid: Big): AppError {
  return conflict(
    'SALES_INVOICE_NOT_PAID',
    `The invoice is not paid in full: total ${money(total)}, paid ${money(paid)}, due ${money(total.minus(paid))}.`,
    { total: money(total), paid: money(paid), due: money(total.minus(paid)) },
  )
}

type InvoiceAmounts = Pick<repo.InvoiceTotals, 'net_total' | 'tax_total' | 'total' | 'line_discount_total' | 'discount_amount'>

/**
 * What submitting (+1) or cancelling (-1) a whole invoice does beyond its own rows; the stock and
 * per-product rollups come from its lines in SQL.
 */
function invoiceEffect(
  kind: 'sale' | 'cancel',
  locationId: number,
  principal: Principal,
  totals: InvoiceAmounts,
): repo.SalesEffect {
  const signed = (value: string) => (kind === 'sale' ? decimalText(value) : negated(value))
  return {
    kind,
    locationId,
    tokenId: principal.tokenId,
    totals: {
      invoices: kind === 'sale' ? 1 : -1,
      returns: 0,
      netAmount: signed(totals.net_total),
      taxAmount: signed(totals.tax_total),
      totalAmount: signed(totals.total),
      discountAmount: signed(decimalString(new Big(totals.line_discount_total).plus(totals.discount_amount))),
    },
  }
}

/**
 * Runs a write whose statement moves the stock of `lines`; when the stock falls short the
 * statement wrote nothing, and the error names each short line (ids are absent for lines of an
 * invoice that the refused statement would have created).
 */
async function refusingShortLines<T>(
  lines: readonly { id?: number | undefined; position: number; product_id: number; sku: string }[],
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write()
  } catch (error) {
    const short = shortStockOf(error)
    if (!short) throw error
    const details = short.map((s) => {
      const named = lines.filter((l) => l.product_id === s.productId)
      return {
        lineIds: named.flatMap((l) => (l.id === undefined ? [] : [l.id])),
        positions: named.map((l) => l.position),
        productId: s.productId,
        sku: named[0]?.sku ?? String(s.productId),
        requested: decimalText(s.requested),
        available: decimalText(s.available),
      }
    })
    throw conflict(
      'SALES_INSUFFICIENT_STOCK',
      `Not enough stock for ${details.length} line(s): ${details.map((d) => `${d.sku} (requested ${d.requested}, available ${d.available})`).join(', ')}.`,
      { lines: details },
    )
  }
}

export function createSalesService(db: Db, options: { idempotencyKeyTtlHours?: number } = {}) {
  const ttlHours = options.idempotencyKeyTtlHours ?? 24
  const catalogCache = new CatalogCache()
  /**
   * Runs a write, in a transaction when it needs one or when it carries an idempotency key. The
   * key is claimed first (unique per caller; a concurrent duplicate waits on the claim until the
   * first commits), and its response is stored in the same transaction as the write.
   */
  async function write<T>(
    principal: Principal,
    options: WriteOptions,
    operation: string,
    request: unknown,
    transactional: boolean,
    work: (executor: Executor, claimId: number | null) => Promise<T>,
  ): Promise<Replayable<T>> {
    const key = options.idempotencyKey
    if (key === undefined && !transactional) return { body: await work(db.primary, null), replayed: false }
    if (key !== undefined && (key.length === 0 || key.length > MAX_KEY_LENGTH)) {
      throw invalid('SALES_INVALID_IDEMPOTENCY_KEY', `An Idempotency-Key has 1 to ${MAX_KEY_LENGTH} characters.`)
    }
    return db.primary.transaction().execute(async (trx) => {
      if (key === undefined) return { body: await work(trx, null), replayed: false }
      const scope = principal.tokenId === null ? 'system' : `token:${principal.tokenId}`
      const requestHash = createHash('sha256').update(`${operation}\n${canonicalJson(request)}`).digest('hex')
      // a key older than the TTL counts as absent: this request takes its row over
      const claimed = await repo.claimUnexpiredIdempotencyKey(trx, { scope, key, operation, requestHash, ttlHours })
      if (claimed) return { body: await work(trx, claimed.id), replayed: false }
      const existing = await repo.findIdempotencyKey(trx, scope, key)
      if (!existing || existing.response === null) {
        throw conflict('SALES_IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still being processed.')
      }
      if (existing.operation !== operation || existing.request_hash !== requestHash) {
        throw invalid(
          'SALES_IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was already used for a different request; use a new key for a new request.',
          { operation: existing.operation },
        )
      }
      return { body: existing.response as T, replayed: true }
    })
  }

  async function lockForWrite(executor: Executor, principal: Principal, id: number) {
    const record = await repo.lockInvoice(executor, id)
    if (!record) throw notFound('SALES_INVOICE_NOT_FOUND', `No invoice ${id}.`)
    requireLocation(principal, record.location_id)
    return record
  }

  function requireDraft(record: InvoiceRecord): void {
    if (record.status !== 'draft') {
      throw conflict('SALES_INVOICE_NOT_DRAFT', `Invoice ${record.id} is ${record.status}; only a draft can change.`, {
        status: record.status,
      })
    }
  }

  return {
    /**
     * Creates a draft, or with `submit` a whole sale (created, paid and submitted). Either way the
     * invoice, lines, payments — and for a sale the stock, ledger and rollups — are ONE statement,
     * atomic on its own: 1 statement when the products are in the catalog cache, 2 when they are
     * looked up first. With an idempotency key it runs in a transaction that also claims the key
     * and stores the response: +4 (BEGIN, claim, response, COMMIT). A stale cache costs +2 (the
     * refused insert and the lookup).
     */
    async createInvoice(principal: Principal, input: CreateInvoiceInput, options: WriteOptions = {}): Promise<Replayable<Invoice>> {
      requireLocation(principal, input.locationId)
      const lineInputs = input.lines ?? []
      lineInputs.forEach((l, i) => {
        positiveQuantity(l.quantity, `lines[${i}].quantity`)
        discountOf(l, `lines[${i}]`)
      })
      const invoiceDiscount = discountOf(input, 'invoice') ?? NO_DISCOUNT
      const tenders = tendersOf(input.payments)
      const submit = input.submit ?? false
      if (submit && lineInputs.length === 0) throw invalid('SALES_INVOICE_EMPTY', 'An invoice needs at least one line.')

      return write(principal, options, 'create invoice', input, false, async (executor, claimId) => {
        /** Prices the lines from `resolved` and writes the invoice; 'stale' if the catalog changed since. */
        const attempt = async (resolved: SaleLine[]) => {
          const lines = newWorkingLines(principal, lineInputs, resolved, 0, 'lines')
          const { priced, rows } = price(lines, invoiceDiscount)
          const total = new Big(priced.total)
          const { applied, paid, change } = applyTenders(total, tenders)
          if (submit && paid.lt(total)) throw notPaid(total, paid)
          const totals = totalsOf(priced, invoiceDiscount, rows.length)
          const payments = applied.map((a) => ({
            method: a.method,
            amount: money(a.amount),
            tendered: money(a.tendered),
            change: money(a.change),
            reference: a.reference,
          }))
          const write = () =>
            repo.insertInvoice(executor, {
              ...totals,
              location_id: input.locationId,
              status: submit ? 'submitted' : 'draft',
              note: input.note ?? null,
              paid_total: money(paid),
              change_due: money(change),
              created_by: principal.tokenId,
              lines: rows,
              payments,
              catalog: resolved.map((r) => ({ position: r.index, price: r.price })),
              effect: submit ? invoiceEffect('sale', input.locationId, principal, totals) : null,
            })
          const inserted = await refusingShortLines(rows, write)
          return { inserted, totals, rows, payments, paid, change }
        }
        const lookUp = async () => {
          const resolved = saleLinesOf(lineInputs.length > 0 ? await resolveLines(executor, lineInputs) : [])
          catalogCache.remember(lineInputs, resolved)
          return resolved
        }
        // Products sold before come from the cache. The insert re-checks every line's catalog values
        // and, if they changed since, writes nothing: then they are looked up afresh and it runs again.
        const cached = lineInputs.length > 0 ? catalogCache.lookup(lineInputs) : undefined
        let outcome = await attempt(cached ?? (await lookUp()))
        if (outcome.inserted === 'stale') {
          catalogCache.forget(lineInputs)
          outcome = await attempt(await lookUp())
        }
        const { inserted, totals, rows, payments, paid, change } = outcome
        if (inserted === 'stale') {
          throw conflict('SALES_CATALOG_CHANGED', 'Products on this invoice changed while it was written; send it again.')
        }
        if (!inserted) throw notFound('SALES_UNKNOWN_LOCATION', `No location ${input.locationId}.`)
        const record: InvoiceRecord = {
          ...totals,
          id: inserted.id,
          location_id: input.locationId,
          status: submit ? 'submitted' : 'draft',
          note: input.note ?? null,
          paid_total: money(paid),
          change_due: money(change),
          returned_total: '0',
          created_by: principal.tokenId,
          created_at: inserted.created_at,
          updated_at: inserted.updated_at,
          submitted_at: inserted.submitted_at,
          cancelled_at: null,
          lines: rows.map((row, i) => storedLine(row, inserted.lineIds[i]!)),
          payments: payments.map((p) => ({ ...p, created_at: inserted.created_at })),
        }
        const invoice = toInvoice(record)
        if (claimId !== null) await repo.recordIdempotentResponse(executor, { id: claimId, response: invoice })
        return invoice
      })
    },

    /** Adds, changes and removes lines of a draft and re-prices it: a constant number of statements. */
    async editInvoice(
      principal: Principal,
      id: number,
      input: EditInvoiceInput,
      options: WriteOptions = {},
    ): Promise<Replayable<Invoice>> {
      const add = input.add ?? []
      const change = input.change ?? []
      const remove = new Set(input.remove ?? [])
      add.forEach((l, i) => {
        positiveQuantity(l.quantity, `add[${i}].quantity`)
        discountOf(l, `add[${i}]`)
      })
      const changeIds = new Set<number>()
      change.forEach((c, i) => {
        if (changeIds.has(c.lineId) || remove.has(c.lineId)) {
          throw invalid('SALES_LINE_TWICE', `change[${i}]: line ${c.lineId} is changed or removed twice.`, { lineId: c.lineId })
        }
        changeIds.add(c.lineId)
        if (c.quantity !== undefined) positiveQuantity(c.quantity, `change[${i}].quantity`)
        discountOf(c, `change[${i}]`)
      })

      return write(principal, options, `edit invoice ${id}`, input, true, async (trx, claimId) => {
        const resolved = saleLinesOf(add.length > 0 ? await resolveLines(trx, add) : [])
        catalogCache.remember(add, resolved)
        const record = await lockForWrite(trx, principal, id)
        requireDraft(record)
        const byId = new Map(record.lines.map((l) => [l.id, l]))
        const unknown = [...changeIds, ...remove].filter((lineId) => !byId.has(lineId))
        if (unknown.length > 0) {
          throw notFound('SALES_LINE_NOT_FOUND', `Invoice ${id} has no line ${unknown.join(', ')}.`, { lineIds: unknown })
        }
        const changes = new Map(change.map((c, i) => [c.lineId, { c, i }]))
        const kept = record.lines
          .filter((l) => !remove.has(l.id))
          .map((l) => {
            const line = workingLineOf(l)
            const edit = changes.get(l.id)
            if (!edit) return line
            const { c, i } = edit
            if (c.quantity !== undefined) line.quantity = parseDecimal(c.quantity, `change[${i}].quantity`)
            if (c.unitPrice !== undefined) {
              const unitPrice = parseDecimal(c.unitPrice, `change[${i}].unitPrice`)
              if (unitPrice.lt(0)) throw invalid('SALES_INVALID_AMOUNT', `change[${i}].unitPrice must not be negative.`)
              if (!unitPrice.eq(line.unitPrice)) {
                if (!mayOverridePrice(principal)) throw refuseOverride(`change[${i}].unitPrice`)
                line.unitPrice = unitPrice
                line.priceOverridden = true
              }
            }
            line.discount = discountOf(c, `change[${i}]`) ?? line.discount
            return line
          })
        const nextPosition = record.lines.reduce((max, l) => Math.max(max, l.position + 1), 0)
        const added = newWorkingLines(principal, add, resolved, nextPosition, 'add')
        let invoiceDiscount: Discount =
          record.discount_percent !== null
            ? { percent: new Big(record.discount_percent), amount: ZERO }
            : { percent: null, amount: new Big(record.discount_amount) }
        if (input.discountPercent !== undefined || input.discountAmount !== undefined) {
          invoiceDiscount = discountOf(input, 'invoice') ?? NO_DISCOUNT
        }
        const lines = [...kept, ...added]
        const { priced, rows } = price(lines, invoiceDiscount)
        if (new Big(priced.total).lt(record.paid_total)) {
          throw conflict(
            'SALES_EDIT_BELOW_PAID',
            `The edit would make the total ${money(priced.total)} lower than the ${money(record.paid_total)} already paid.`,
          )
        }
        const totals = totalsOf(priced, invoiceDiscount, rows.length)
        const note = input.note !== undefined ? input.note : record.note
        // Only lines whose stored values change are written.
        const updates = rows.flatMap((row, i) => {
          const id = lines[i]!.id
          if (id === undefined) return []
          const before = byId.get(id)!
          const same = (Object.keys(row) as (keyof NewLine)[]).every((k) => normalized(row, k) === normalized(before, k))
          return same ? [] : [{ ...row, id }]
        })
        const inserts = rows.filter((_, i) => lines[i]!.id === undefined)
        const insertedIds = await repo.updateDraft(trx, {
          invoiceId: id,
          note,
          totals,
          removeIds: [...remove],
          updates,
          inserts,
        })
        const idByPosition = new Map(insertedIds.map((l) => [l.position, l.id]))
        const after: InvoiceRecord = {
          ...record,
          ...totals,
          note,
          updated_at: record.now,
          lines: rows.map((row, i) => {
            const lineId = lines[i]!.id ?? idByPosition.get(row.position)!
            return storedLine(row, lineId, byId.get(lineId))
          }),
        }
        const invoice = toInvoice(after)
        if (claimId !== null) await repo.recordIdempotentResponse(trx, { id: claimId, response: invoice })
        return invoice
      })
    },

    /** Records payments on a draft: 4 statements (BEGIN, lock, write, COMMIT). */
    async payInvoice(
      principal: Principal,
      id: number,
      input: { payments: PaymentInput[] },
      options: WriteOptions = {},
    ): Promise<Replayable<Invoice>> {
      const tenders = tendersOf(input.payments)
      if (tenders.length === 0) throw invalid('SALES_NO_PAYMENT', 'Give at least one payment.')
      return write(principal, options, `pay invoice ${id}`, input, true, async (trx, claimId) => {
        const record = await lockForWrite(trx, principal, id)
        requireDraft(record)
        const after = withPayments(record, tenders, false)
        const invoice = toInvoice(after)
        await repo.updatePayments(trx, {
          invoiceId: id,
          payments: after.payments.slice(record.payments.length),
          paidTotal: after.paid_total,
          changeDue: after.change_due,
          submit: false,
          idempotency: claimId === null ? null : { id: claimId, response: invoice },
          effect: null,
          at: record.now,
        })
        return invoice
      })
    },

    /**
     * Submits a draft, taking any last payments: BEGIN, lock, invoice+payments+rollups,
     * stock+ledger, COMMIT — 5 statements whatever the number of lines (6 with an idempotency key).
     */
    async submitInvoice(
      principal: Principal,
      id: number,
      input: SubmitInvoiceInput = {},
      options: WriteOptions = {},
    ): Promise<Replayable<Invoice>> {
      const tenders = tendersOf(input.payments)
      return write(principal, options, `submit invoice ${id}`, input, true, async (trx, claimId) => {
        const record = await lockForWrite(trx, principal, id)
        requireDraft(record)
        if (record.lines.length === 0) throw invalid('SALES_INVOICE_EMPTY', 'An invoice needs at least one line.')
        const after = withPayments(record, tenders, true)
        if (new Big(after.paid_total).lt(after.total)) throw notPaid(new Big(after.total), new Big(after.paid_total))
        const invoice = toInvoice(after)
        const submitted: repo.PaymentsUpdate = {
          invoiceId: id,
          payments: after.payments.slice(record.payments.length),
          paidTotal: after.paid_total,
          changeDue: after.change_due,
          submit: true,
          idempotency: claimId === null ? null : { id: claimId, response: invoice },
          effect: invoiceEffect('sale', record.location_id, principal, record),
          at: record.now,
        }
        await refusingShortLines(record.lines, () => repo.updatePayments(trx, submitted))
        return invoice
      })
    },

    /**
     * Cancels a draft, or a submitted invoice without returns (managers and admins): the stock
     * comes back and the sale leaves the rollups of the hour it was made in. 5 statements.
     */
    async cancelInvoice(principal: Principal, id: number, options: WriteOptions = {}): Promise<Replayable<Invoice>> {
      return write(principal, options, `cancel invoice ${id}`, {}, true, async (trx, claimId) => {
        const record = await lockForWrite(trx, principal, id)
        if (record.status === 'cancelled') {
          throw conflict('SALES_INVOICE_NOT_CANCELLABLE', `Invoice ${id} is cancelled already.`, { status: record.status })
        }
        const wasSubmitted = record.status === 'submitted'
        if (wasSubmitted) {
          requireRole(principal, ['admin', 'manager'])
          if (new Big(record.returned_total).gt(0) || record.lines.some((l) => new Big(l.returned_quantity).gt(0))) {
            throw conflict(
              'SALES_INVOICE_HAS_RETURNS',
              `Invoice ${id} has returns; return the remaining lines instead of cancelling it.`,
            )
          }
        }
        const after: InvoiceRecord = { ...record, status: 'cancelled', cancelled_at: record.now, updated_at: record.now }
        const invoice = toInvoice(after)
        // the sale leaves the rollups of the hour it was made in
        const effect = wasSubmitted
          ? { effect: invoiceEffect('cancel', record.location_id, principal, record), submittedAt: record.submitted_at ?? record.now }
          : null
        await repo.markCancelled(trx, id, claimId === null ? null : { id: claimId, response: invoice }, effect)
        return invoice
      })
    },

    /**
     * Returns part of a submitted invoice (never more than was sold, per line): stock and ledger
     * restored, refund recorded, rollups of the current hour reduced. 5 statements.
     */
    async returnItems(
      principal: Principal,
      id: number,
      input: ReturnInput,
      options: WriteOptions = {},
    ): Promise<Replayable<{ return: SalesReturn; invoice: Invoice }>> {
      if (input.lines.length === 0) throw invalid('SALES_RETURN_EMPTY', 'A return needs at least one line.')
      const requested = new Map<number, Big>()
      input.lines.forEach((l, i) => {
        const quantity = positiveQuantity(l.quantity, `lines[${i}].quantity`)
        requested.set(l.lineId, (requested.get(l.lineId) ?? ZERO).plus(quantity))
      })
      return write(principal, options, `return invoice ${id}`, input, true, async (trx, claimId) => {
        const record = await lockForWrite(trx, principal, id)
        if (record.status !== 'submitted') {
          throw conflict('SALES_INVOICE_NOT_SUBMITTED', `Invoice ${id} is ${record.status}; only a submitted invoice takes returns.`, {
            status: record.status,
          })
        }
        const byId = new Map(record.lines.map((l) => [l.id, l]))
        const unknown = [...requested.keys()].filter((lineId) => !byId.has(lineId))
        if (unknown.length > 0) {
          throw notFound('SALES_LINE_NOT_FOUND', `Invoice ${id} has no line ${unknown.join(', ')}.`, { lineIds: unknown })
        }
        const tooMany = [...requested].flatMap(([lineId, quantity]) => {
          const line = byId.get(lineId)!
          const left = new Big(line.quantity).minus(line.returned_quantity)
          return quantity.gt(left) ? [{ lineId, requested: decimalString(quantity), returnable: decimalString(left) }] : []
        })
        if (tooMany.length > 0) {
          throw invalid(
            'SALES_RETURN_EXCEEDS_SOLD',
            `Cannot return more than was sold: ${tooMany.map((t) => `line ${t.lineId} (asked ${t.requested}, returnable ${t.returnable})`).join(', ')}.`,
            { lines: tooMany },
          )
        }
        const returnLines = [...requested]
          .sort(([a], [b]) => a - b)
          .map(([lineId, quantity]) => {
            const line = byId.get(lineId)!
            const sold = new Big(line.quantity)
            const returnedBefore = new Big(line.returned_quantity)
            const factor = new Big(line.factor)
            // Base quantities are taken cumulatively so the last return restores exactly what was sold.
            const returnedAfter = returnedBefore.plus(quantity)
            const baseQuantity = (
              returnedAfter.eq(sold) ? new Big(line.base_quantity) : baseUnits(returnedAfter.times(factor))
            ).minus(baseUnits(returnedBefore.times(factor)))
            const refund = refundFor(
              {
                quantity: sold,
                netAmount: new Big(line.net_amount),
                taxAmount: new Big(line.tax_amount),
                returnedQuantity: returnedBefore,
                returnedNet: new Big(line.returned_net),
                returnedTax: new Big(line.returned_tax),
              },
              quantity,
            )
            return { line, quantity, baseQuantity, refund }
          })
        const sum = (pick: (r: (typeof returnLines)[number]) => Big) => returnLines.reduce((t, r) => t.plus(pick(r)), ZERO)
        const net = sum((r) => r.refund.net)
        const tax = sum((r) => r.refund.tax)
        const total = net.plus(tax)
        const changed = new Map(returnLines.map((r) => [r.line.id, r]))
        const after: InvoiceRecord = {
          ...record,
          returned_total: money(new Big(record.returned_total).plus(total)),
          updated_at: record.now,
          lines: record.lines.map((l) => {
            const r = changed.get(l.id)
            if (!r) return l
            return {
              ...l,
              returned_quantity: decimalString(new Big(l.returned_quantity).plus(r.quantity)),
              returned_net: money(new Big(l.returned_net).plus(r.refund.net)),
              returned_tax: money(new Big(l.returned_tax).plus(r.refund.tax)),
            }
          }),
        }
        const salesReturn: SalesReturn = {
          id: 0,
          invoiceId: id,
          reason: input.reason ?? null,
          refundMethod: input.refundMethod ?? 'cash',
          netAmount: money(net),
          taxAmount: money(tax),
          totalAmount: money(total),
          createdAt: record.now.toISOString(),
          lines: returnLines.map((r) => ({
            lineId: r.line.id,
            productId: r.line.product_id,
            quantity: decimalString(r.quantity),
            baseQuantity: decimalString(r.baseQuantity),
            netAmount: money(r.refund.net),
            taxAmount: money(r.refund.tax),
            totalAmount: money(r.refund.total),
          })),
        }
        const body = { return: salesReturn, invoice: toInvoice(after) }
        const inserted = await repo.insertReturn(trx, {
          invoiceId: id,
          locationId: record.location_id,
          reason: salesReturn.reason,
          refundMethod: salesReturn.refundMethod,
          netAmount: salesReturn.netAmount,
          taxAmount: salesReturn.taxAmount,
          totalAmount: salesReturn.totalAmount,
          tokenId: principal.tokenId,
          lines: salesReturn.lines.map((l) => ({
            invoice_line_id: l.lineId,
            product_id: l.productId,
            quantity: l.quantity,
            base_quantity: l.baseQuantity,
            net_amount: l.netAmount,
            tax_amount: l.taxAmount,
            total_amount: l.totalAmount,
          })),
          // the SQL puts the new return's id into the stored response
          idempotency: claimId === null ? null : { id: claimId, response: body },
          // a return counts in the hour it happens
          effect: {
            kind: 'return',
            locationId: record.location_id,
            tokenId: principal.tokenId,
            totals: {
              invoices: 0,
              returns: 1,
              netAmount: decimalString(net.neg()),
              taxAmount: decimalString(tax.neg()),
              totalAmount: decimalString(total.neg()),
              discountAmount: '0',
            },
          },
          at: record.now,
        })
        salesReturn.id = inserted.id
        return body
      })
    },

    /** One invoice with its lines and payments: one statement. */
    async getInvoice(principal: Principal, id: number): Promise<Invoice> {
      const record = await repo.findInvoice(db.primary, id)
      if (!record) throw notFound('SALES_INVOICE_NOT_FOUND', `No invoice ${id}.`)
      requireLocation(principal, record.location_id)
      return toInvoice(record)
    },

    /** A page of invoices with their lines and payments: one statement. */
    async listInvoices(principal: Principal, query: ListInvoicesQuery): Promise<{ items: Invoice[]; nextAfter: number | null }> {
      let locationIds: readonly number[] | undefined
      if (query.locationId !== undefined) {
        requireLocation(principal, query.locationId)
        locationIds = [query.locationId]
      } else if (principal.locationIds !== null) {
        locationIds = principal.locationIds
      }
      const date = (value: string | undefined, field: string) => {
        if (value === undefined) return undefined
        const parsed = new Date(value)
        if (Number.isNaN(parsed.getTime())) throw invalid('SALES_INVALID_DATE', `${field} is not a date or timestamp.`, { field })
        return parsed
      }
      const limit = query.limit ?? 50
      const rows = await repo.listInvoices(db.primary, {
        locationIds,
        status: query.status,
        from: date(query.from, 'from'),
        to: date(query.to, 'to'),
        after: query.after,
        limit,
      })
      return {
        items: rows.map(toInvoice),
        nextAfter: rows.length === limit ? (rows[rows.length - 1]?.id ?? null) : null,
      }
    },
  }
}

const MONEY_KEYS = new Set<keyof NewLine>([
  'gross_amount',
  'discount_amount',
  'invoice_discount_amount',
  'net_amount',
  'tax_amount',
  'total_amount',
])
const DECIMAL_KEYS = new Set<keyof NewLine>(['quantity', 'factor', 'base_quantity', 'unit_price', 'tax_rate', 'discount_percent'])

/** A line value in one canonical form, to tell which lines an edit really changed. */
function normalized(line: NewLine, key: keyof NewLine): string {
  const value = line[key]
  if (value === null || typeof value !== 'string') return String(value)
  if (MONEY_KEYS.has(key)) return moneyText(value)
  return DECIMAL_KEYS.has(key) ? decimalText(value) : value
}

/** The invoice after `tenders` are applied to what is still due (payments stamped with the transaction time). */
function withPayments(record: repo.LockedInvoiceRecord, tenders: readonly TenderInput[], submit: boolean): repo.LockedInvoiceRecord {
  const { applied, paid, change } = applyTenders(new Big(record.total).minus(record.paid_total), tenders)
  return {
    ...record,
    status: submit ? 'submitted' : record.status,
    submitted_at: submit ? record.now : record.submitted_at,
    updated_at: record.now,
    paid_total: money(paid.plus(record.paid_total)),
    change_due: money(change.plus(record.change_due)),
    payments: [
      ...record.payments,
      ...applied.map((a) => ({
        method: a.method,
        amount: money(a.amount),
        tendered: money(a.tendered),
        change: money(a.change),
        reference: a.reference,
        created_at: record.now,
      })),
    ],
  }
}
export type SalesService = ReturnType<typeof createSalesService>
