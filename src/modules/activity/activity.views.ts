/** Product views: recorded in batches (one statement), read per customer and per product. */
import type { Db } from '../../infra/db/database.ts'
import { invalid, notFound } from '../../infra/errors.ts'
import * as repo from './activity.repository.ts'
import { listed } from './activity.scores.ts'
import { MAX_DAYS } from './activity.schemas.ts'

export interface ViewInput {
  productId?: number | undefined
  sku?: string | undefined
  customerId?: number | undefined
  sessionId?: string | undefined
  source?: string | undefined
  viewedAt?: string | undefined
}

/** Who records: staff may name any customer; a shopper's views are always their own. */
export type Recorder = { staff: true } | { customerId: number }

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

function toRecord(view: ViewInput, index: number, by: Recorder): repo.ViewRecord {
  const path = `/views/${index}`
  if ((view.productId === undefined) === (view.sku === undefined)) {
    throw invalid('ACTIVITY_PRODUCT_REQUIRED', `${path}: give exactly one of productId and sku.`, { field: `${path}/productId` })
  }
  const customerId = 'customerId' in by ? by.customerId : (view.customerId ?? null)
  if (customerId === null && view.sessionId === undefined) {
    throw invalid('ACTIVITY_VIEWER_REQUIRED', `${path}: a view needs a customerId or a sessionId.`, { field: `${path}/sessionId` })
  }
  const viewedAt = view.viewedAt === undefined ? null : DATE_ONLY.test(view.viewedAt) ? `${view.viewedAt}T00:00:00Z` : view.viewedAt
  return {
    index,
    productId: view.productId ?? null,
    sku: view.sku ?? null,
    customerId,
    sessionId: view.sessionId ?? null,
    source: view.source ?? 'web',
    viewedAt,
  }
}

/** Records every view, or none when a product or customer is unknown (a 422 naming each such row). One statement. */
export async function recordViews(db: Db, by: Recorder, views: readonly ViewInput[]): Promise<{ recorded: number }> {
  const records = views.map((view, index) => toRecord(view, index, by))
  const { recorded, unknown } = await repo.insertViews(db.primary, records)
  if (unknown) {
    const rows = unknown.map((u) => ({ field: `/views/${u.index}/${u.product ? (u.sku === null ? 'productId' : 'sku') : 'customerId'}` }))
    throw invalid('ACTIVITY_UNKNOWN_REFERENCE', `No such product or customer at ${listed(rows)}; nothing was recorded.`, {
      field: rows[0]!.field,
      rows,
    })
  }
  return { recorded }
}

export async function listRecentViews(db: Db, customerId: number, limit = 50) {
  const { customer, items } = await repo.findRecentViews(db.reader, customerId, limit)
  if (customer === null) throw notFound('ACTIVITY_CUSTOMER_NOT_FOUND', `No customer ${customerId}.`, { field: '/id' })
  return { items }
}

export async function countProductViews(db: Db, productId: number, query: { from: string; to: string; timeZone?: string | undefined }) {
  const days = (Date.parse(query.to) - Date.parse(query.from)) / 86_400_000
  if (days < 0) throw invalid('ACTIVITY_INVALID_RANGE', 'to must not be before from.', { field: '/to' })
  if (days > MAX_DAYS) throw invalid('ACTIVITY_INVALID_RANGE', `to may be at most ${MAX_DAYS} days after from.`, { field: '/to' })
  const timeZone = query.timeZone ?? 'UTC'
  const { product, items } = await repo.countViewsByDay(db.reader, { productId, from: query.from, to: query.to, timeZone })
  if (product === null) throw notFound('ACTIVITY_PRODUCT_NOT_FOUND', `No product ${productId}.`, { field: '/id' })
  return { productId, timeZone, items }
}
