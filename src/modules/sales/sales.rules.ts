/** What the invoice workflows share: their dependencies, finding and locking an invoice, its state, what it owes, and its stock. */
import type { Transaction } from 'kysely'
import type { Database, Db } from '../../infra/db/database.ts'
import { Big, decimalString, money } from '../../infra/decimal.ts'
import { type AppError, conflict, notFound } from '../../infra/errors.ts'
import type { IdempotentWriter } from '../../infra/idempotency/idempotency.ts'
import { type Principal, requireLocation } from '../access/index.ts'
import {
  applyTenders,
  fieldOf,
  type LineOrigin,
  namesForMessage,
  nameOfLine,
  type CatalogCache,
  type TenderInput,
} from '../catalog/index.ts'
import { shortStockOf } from '../inventory/index.ts'
import type { SalesEffect } from './sales.effects.ts'
import { decimalText, negated } from './sales.mapping.ts'
import * as repo from './sales.repository.ts'
import type { PaymentMethod } from './sales.tables.ts'

/** What every sales workflow is given: built once per service. */
export interface SalesContext {
  db: Db
  /** Idempotency-Key handling; error codes SALES_IDEMPOTENCY_… */
  writes: IdempotentWriter
  /** the catalog on the cache tiers: a sale of cached products reads no catalog statement */
  catalog: CatalogCache
}

/** Locks the invoice for a write and checks the caller may touch its location. */
export async function lockForWrite(trx: Transaction<Database>, principal: Principal, id: number): Promise<repo.LockedInvoiceRecord> {
  const record = await repo.lockInvoice(trx, id)
  if (!record) throw notFound('SALES_INVOICE_NOT_FOUND', `No invoice ${id}.`)
  requireLocation(principal, record.location_id)
  return record
}

export function requireDraft(record: repo.InvoiceRecord): void {
  if (record.status !== 'draft') {
    throw conflict('SALES_INVOICE_NOT_DRAFT', `Invoice ${record.id} is ${record.status}; only a draft can change.`, {
      status: record.status,
    })
  }
}

export function notPaid(total: Big, paid: Big): AppError {
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
export function invoiceEffect(kind: 'sale' | 'cancel', locationId: number, principal: Principal, totals: InvoiceAmounts): SalesEffect {
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
 * statement wrote nothing, and the error names each short line by `originOf` — its request line
 * (`lines[2]`) for an invoice the refused statement would have created, its id otherwise.
 */
export async function refusingShortLines<T, L extends { product_id: number; sku: string }>(
  lines: readonly L[],
  originOf: (line: L) => LineOrigin,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write()
  } catch (error) {
    const short = shortStockOf(error)
    if (!short) throw error
    const details = short.map((s) => {
      const origins = lines.filter((l) => l.product_id === s.productId).map(originOf)
      return {
        fields: origins.flatMap((o) => (o.path === undefined ? [] : [fieldOf(o.path)])),
        lineIds: origins.flatMap((o) => (o.lineId === undefined ? [] : [o.lineId])),
        productId: s.productId,
        sku: lines.find((l) => l.product_id === s.productId)?.sku ?? String(s.productId),
        requested: decimalText(s.requested),
        available: decimalText(s.available),
        origins,
      }
    })
    const named = details.map(({ origins, sku, requested, available }) => {
      const amounts = `${sku}: requested ${requested}, available ${available}`
      return origins.length > 0 ? `${origins.map(nameOfLine).join(' and ')} (${amounts})` : amounts
    })
    throw conflict('SALES_INSUFFICIENT_STOCK', `Not enough stock for ${details.length} line(s): ${namesForMessage(named)}.`, {
      lines: details.map(({ origins, ...d }) => d),
    })
  }
}

/** The invoice after `tenders` are applied to what is still due (payments stamped with the transaction time). */
export function withPayments(
  record: repo.LockedInvoiceRecord,
  tenders: readonly TenderInput<PaymentMethod>[],
  { submit }: { submit: boolean },
): repo.LockedInvoiceRecord {
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
