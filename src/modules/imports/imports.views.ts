/**
 * Product views: `sku|productId, customerId?, sessionId?, source?, viewedAt?` appended to
 * product_view in one statement per chunk. product_view has no foreign keys (by design), so the
 * statement resolves every product itself: a row whose product is unknown is a reject, not a view.
 * Arrays through `unnest`: measured against COPY into a staging table, see the report in issue 14.
 */
import { sql } from 'kysely'
import { id, isRejected, productRef, rejectOf, text, timestamp } from './imports.fields.ts'
import type { Numbered, Reject, StatementKind } from './imports.kinds.ts'

export interface ViewRow {
  sku: string | null
  productId: number | null
  customerId: number | null
  sessionId: string | null
  source: string
  viewedAt: string | null
}

const SOURCE = /^[a-z0-9_-]{1,32}$/

function parse(record: Record<string, unknown>, line: number): ViewRow | Reject {
  const product = productRef(record, line)
  if (isRejected(product)) return product
  const customerId = id(record, 'customerId', line)
  if (isRejected(customerId)) return customerId
  const sessionId = text(record, 'sessionId', line, { max: 100 })
  if (isRejected(sessionId)) return sessionId
  if (customerId === null && sessionId === null) return rejectOf(line, 'customerId', 'missing: a customerId or a sessionId is needed')
  const source = text(record, 'source', line, { pattern: SOURCE })
  if (isRejected(source)) return source
  const viewedAt = timestamp(record, 'viewedAt', line)
  if (isRejected(viewedAt)) return viewedAt
  return { sku: product.sku, productId: product.productId, customerId, sessionId, source: source ?? 'import', viewedAt }
}

/** The chunk's rows with each product resolved (by SKU or id), as a CTE named view_input. */
function resolvedViews(rows: readonly Numbered<ViewRow>[]) {
  const column = <T>(pick: (row: ViewRow) => T) => rows.map((r) => pick(r.row))
  return sql`view_raw as (
      select * from unnest(${rows.map((r) => r.line)}::int[], ${column((r) => r.sku)}::text[], ${column((r) => r.productId)}::bigint[],
        ${column((r) => r.customerId)}::bigint[], ${column((r) => r.sessionId)}::text[], ${column((r) => r.source)}::text[],
        ${column((r) => r.viewedAt)}::timestamptz[]) as t(line, sku, product_id, customer_id, session_id, source, viewed_at)
    ), view_input as (
      select v.line, v.sku, v.product_id as given_id, coalesce(by_sku.id, by_id.id) as product_id,
        v.customer_id, v.session_id, v.source, coalesce(v.viewed_at, now()) as viewed_at
      from view_raw v
      left join product by_sku on by_sku.sku = v.sku
      left join product by_id on v.sku is null and by_id.id = v.product_id
    )`
}

/** The rejects of view_input: rows whose product is unknown. */
const unknownProductRejects = sql<Reject[] | null>`(select json_agg(json_build_object(
      'line', line,
      'field', case when sku is null then 'productId' else 'sku' end,
      'message', case when sku is null then 'no product ' || given_id else 'no product with SKU ' || sku end) order by line)
    from view_input where product_id is null)`

function chunkCtes(rows: readonly Numbered<ViewRow>[]) {
  return sql`${resolvedViews(rows)}, view_written as (
      insert into product_view (product_id, customer_id, session_id, source, viewed_at)
      select product_id, customer_id, session_id, source, viewed_at from view_input where product_id is not null order by line
      returning 1
    ), chunk_outcome as (
      select (select count(*) from view_written)::int as written, ${unknownProductRejects} as rejects
    )`
}

export const viewsKind: StatementKind<ViewRow> = {
  name: 'views',
  requiredFields: ['sku|productId'],
  parse,
  chunkCtes,
}
