/**
 * Creates a draft, or with `submit` a whole sale (created, paid and submitted). Either way the
 * invoice, lines, payments — and for a sale the stock, ledger and rollups — are ONE statement,
 * atomic on its own: 1 statement when the products are in the cache tiers, 2 when they are looked
 * up first. With an idempotency key it runs in a transaction that also claims the key and stores
 * the response: +4 (BEGIN, claim, response, COMMIT). A stale cache costs +2 (the refused insert
 * and the lookup).
 */
import { requireFreshReads } from '../../infra/db/read-floor.ts'
import { Big, money } from '../../infra/decimal.ts'
import type { Executor } from '../../infra/db/database.ts'
import { AppError, conflict, invalid, notFound } from '../../infra/errors.ts'
import type { Replayable, WriteOptions } from '../../infra/idempotency/idempotency.ts'
import { idempotencyScopeOf, type Principal, requireLocation } from '../access/index.ts'
import {
  applyTenders,
  type CatalogCache,
  type Discount,
  resolveLines,
  type SellableLine,
  sellableLinesFromCache,
  sellableLinesOf,
  type TenderInput,
} from '../catalog/index.ts'
import { NO_DISCOUNT, discountOf, newWorkingLines, priceLines, tendersOf, totalsOf, validateLineInputs } from './sales.lines.ts'
import { storedLine, toInvoice } from './sales.mapping.ts'
import * as repo from './sales.repository.ts'
import { invoiceEffect, notPaid, refusingShortLines, type SalesContext } from './sales.rules.ts'
import type { CreateInvoiceInput, Invoice, LineInput } from './sales.schemas.ts'
import type { NewInvoiceLine, PaymentMethod } from './sales.tables.ts'

interface Sale {
  principal: Principal
  input: CreateInvoiceInput
  invoiceDiscount: Discount
  tenders: TenderInput<PaymentMethod>[]
  submit: boolean
}

export async function createInvoice(
  ctx: SalesContext,
  principal: Principal,
  input: CreateInvoiceInput,
  options: WriteOptions = {},
): Promise<Replayable<Invoice>> {
  requireLocation(principal, input.locationId)
  validateLineInputs(input.lines ?? [], 'lines')
  const sale: Sale = {
    principal,
    input,
    invoiceDiscount: discountOf(input, '') ?? NO_DISCOUNT,
    tenders: tendersOf(input.payments),
    submit: input.submit ?? false,
  }
  if (sale.submit && (input.lines ?? []).length === 0) {
    throw invalid('SALES_INVOICE_EMPTY', 'An invoice needs at least one line.', { field: '/lines' })
  }
  // Priced from the cache before any transaction opens: a product no tier holds is one lookup, not one inside the write.
  const lines = input.lines ?? []
  const cached = lines.length > 0 ? await sellableLinesForSale(ctx.catalog, lines) : []
  const write = { scope: idempotencyScopeOf(principal), operation: 'create invoice', request: input, options }
  return ctx.writes.inTransactionIfKeyed(write, (executor, key) => writeSale(ctx, executor, sale, cached, key !== null))
}

/**
 * The lines priced from the cache. A refusal is never made on the cache's word (a product made
 * sellable again by a write no eviction reached): lines the cache would refuse are evicted and read
 * once more, so the refusal, if any, comes from what the database holds.
 */
async function sellableLinesForSale(catalog: CatalogCache, lines: readonly LineInput[]): Promise<SellableLine[]> {
  // With the cache off, catalog loads may read a replica: a sale prices from the primary.
  requireFreshReads()
  try {
    const cached = await sellableLinesFromCache(catalog, lines)
    if (cached.every((line) => line.active)) return cached
  } catch (error) {
    if (!(error instanceof AppError)) throw error
  }
  await catalog.evictProducts({ ids: lines.flatMap((l) => (l.productId === undefined ? [] : [l.productId])), codes: lines.map((l) => l.sku) })
  return sellableLinesFromCache(catalog, lines)
}

/**
 * Writes the sale priced from the cache. The insert re-checks every line's catalog values and, if
 * they changed since they were cached (a change no eviction reached), writes nothing: the products
 * are evicted everywhere, looked up afresh — from the database itself inside a transaction — and it
 * runs again.
 */
async function writeSale(ctx: SalesContext, executor: Executor, sale: Sale, cached: SellableLine[], inTransaction: boolean) {
  const lines = sale.input.lines ?? []
  let attempt = await insertSale(executor, sale, cached)
  if (attempt.inserted === 'stale') {
    await ctx.catalog.evictProducts({ ids: cached.map((l) => l.productId), codes: lines.map((l) => l.sku) })
    const fresh = inTransaction ? sellableLinesOf(await resolveLines(executor, lines)) : await sellableLinesFromCache(ctx.catalog, lines)
    attempt = await insertSale(executor, sale, fresh)
  }
  const { inserted, invoice } = attempt
  if (inserted === 'stale') {
    throw conflict('SALES_CATALOG_CHANGED', 'Products on this invoice changed while it was written; send it again.')
  }
  if (!inserted) throw notFound('SALES_UNKNOWN_LOCATION', `No location ${sale.input.locationId}.`)
  return toInvoice({
    ...invoice,
    id: inserted.id,
    created_at: inserted.created_at,
    updated_at: inserted.updated_at,
    submitted_at: inserted.submitted_at,
    lines: invoice.lines.map((row, i) => storedLine(row, inserted.lineIds[i]!)),
    payments: invoice.payments.map((p) => ({ ...p, created_at: inserted.created_at })),
  })
}

/** Prices the lines from `resolved` and writes the invoice; 'stale' if the catalog changed since they were resolved. */
async function insertSale(executor: Executor, sale: Sale, resolved: SellableLine[]) {
  const { principal, input, submit } = sale
  const lines = newWorkingLines(principal, input.lines ?? [], resolved, 0, 'lines')
  const { priced, rows } = priceLines(lines, sale.invoiceDiscount)
  const total = new Big(priced.total)
  const { applied, paid, change } = applyTenders(total, sale.tenders)
  if (submit && paid.lt(total)) throw notPaid(total, paid)
  const totals = totalsOf(priced, sale.invoiceDiscount, rows.length)
  const invoice: repo.NewInvoice = {
    ...totals,
    location_id: input.locationId,
    status: submit ? 'submitted' : 'draft',
    note: input.note ?? null,
    paid_total: money(paid),
    change_due: money(change),
    created_by: principal.tokenId,
    lines: rows,
    payments: applied.map((a) => ({
      method: a.method,
      amount: money(a.amount),
      tendered: money(a.tendered),
      change: money(a.change),
      reference: a.reference,
    })),
    catalog: resolved.map((r) => ({ position: r.index, price: r.price })),
    effect: submit ? invoiceEffect('sale', input.locationId, principal, totals) : null,
  }
  // a created invoice's line positions are the request's line indexes
  const requestLine = (line: NewInvoiceLine) => ({ path: `lines[${line.position}]` })
  const inserted = await refusingShortLines(rows, requestLine, () => repo.insertInvoice(executor, invoice))
  return { inserted, invoice: { ...invoice, lines: rows, returned_total: '0', cancelled_at: null } }
}
