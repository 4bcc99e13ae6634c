/** Reading invoices: one statement each, lines and payments included. */
import type { Db } from '../../infra/db/database.ts'
import { invalid, notFound } from '../../infra/errors.ts'
import { type Principal, requireLocation } from '../access/index.ts'
import { toInvoice } from './sales.mapping.ts'
import * as repo from './sales.repository.ts'
import type { Invoice, ListInvoicesQuery } from './sales.schemas.ts'

export async function getInvoice(db: Db, principal: Principal, id: number): Promise<Invoice> {
  const record = await repo.findInvoice(db.primary, id)
  if (!record) throw notFound('SALES_INVOICE_NOT_FOUND', `No invoice ${id}.`)
  requireLocation(principal, record.location_id)
  return toInvoice(record)
}

function dateOf(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined
  const parsed = new Date(value)
  if (Number.isNaN(parsed.getTime())) throw invalid('SALES_INVALID_DATE', `${field} is not a date or timestamp.`, { field })
  return parsed
}

/** A page of invoices the caller may see (its locations), oldest first. */
export async function listInvoices(
  db: Db,
  principal: Principal,
  query: ListInvoicesQuery,
): Promise<{ items: Invoice[]; nextAfter: number | null }> {
  let locationIds: readonly number[] | undefined
  if (query.locationId !== undefined) {
    requireLocation(principal, query.locationId)
    locationIds = [query.locationId]
  } else if (principal.locationIds !== null) {
    locationIds = principal.locationIds
  }
  const limit = query.limit ?? 50
  const rows = await repo.listInvoices(db.primary, {
    locationIds,
    status: query.status,
    from: dateOf(query.from, 'from'),
    to: dateOf(query.to, 'to'),
    after: query.after,
    limit,
  })
  return {
    items: rows.map(toInvoice),
    nextAfter: rows.length === limit ? (rows[rows.length - 1]?.id ?? null) : null,
  }
}
