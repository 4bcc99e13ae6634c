/** Reading invoices and returns: one statement each page, lines, payments and returns included. */
import type { Db } from '../../infra/db/database.ts'
import { invalid, notFound } from '../../infra/errors.ts'
import { type Principal, requireLocation } from '../access/index.ts'
import { toInvoice, toReturn } from './sales.mapping.ts'
import * as repo from './sales.repository.ts'
import type { Invoice, ListInvoicesQuery, ListReturnsQuery, SalesReturn } from './sales.schemas.ts'

export async function getInvoice(db: Db, principal: Principal, id: number): Promise<Invoice> {
  const record = await repo.findInvoice(db.primary, id)
  if (!record) throw notFound('SALES_INVOICE_NOT_FOUND', `No invoice ${id}.`)
  requireLocation(principal, record.location_id)
  return toInvoice(record)
}

function dateOf(value: string | undefined, path: string): Date | undefined {
  if (value === undefined) return undefined
  const parsed = new Date(value)
  if (Number.isNaN(parsed.getTime())) throw invalid('SALES_INVALID_DATE', `${path} is not a date or timestamp.`, { field: `/${path}` })
  return parsed
}

/** The locations the caller asks for and may see: the one asked for, else its own (undefined: all). */
function visibleLocations(principal: Principal, locationId: number | undefined): readonly number[] | undefined {
  if (locationId !== undefined) {
    requireLocation(principal, locationId)
    return [locationId]
  }
  return principal.locationIds ?? undefined
}

/** A page of invoices the caller may see (its locations), oldest first. */
export async function listInvoices(
  db: Db,
  principal: Principal,
  query: ListInvoicesQuery,
): Promise<{ items: Invoice[]; nextAfter: number | null }> {
  const limit = query.limit ?? 50
  const rows = await repo.listInvoices(db.primary, {
    locationIds: visibleLocations(principal, query.locationId),
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

/** A page of returns the caller may see (its locations), oldest first. */
export async function listReturns(
  db: Db,
  principal: Principal,
  query: ListReturnsQuery,
): Promise<{ items: SalesReturn[]; nextAfter: number | null }> {
  const limit = query.limit ?? 50
  // one row more than asked tells whether another page exists, so the last page says null
  const rows = await repo.listReturns(db.primary, {
    locationIds: visibleLocations(principal, query.locationId),
    from: dateOf(query.from, 'from'),
    to: dateOf(query.to, 'to'),
    after: query.after,
    limit: limit + 1,
  })
  const page = rows.slice(0, limit)
  return {
    items: page.map(toReturn),
    nextAfter: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
  }
}
