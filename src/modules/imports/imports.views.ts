/**
 * Product views: `sku|productId, customerId?, sessionId?, source?, viewedAt?` appended to
 * product_view in one statement per chunk. product_view has no foreign keys (by design), so the
 * statement resolves every product itself: a row whose product is unknown is a reject, not a view.
 * A chunk is one `unnest` statement; on PostgreSQL a large one goes by COPY (copyChunk), with the
 * products looked up first — measured: at 10,000 rows a chunk, COPY is within a few % of the floor.
 */
import { sql, type Transaction } from 'kysely'
import { copyLine, copyRows } from '../../infra/db/copy-rows.ts'
import type { Database, Executor } from '../../infra/db/database.ts'
import { id, isRejected, productRef, rejectOf, text, timestamp } from './imports.fields.ts'
import type { ChunkContext, ChunkResult, Numbered, Reject, StatementKind } from './imports.kinds.ts'

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

const VIEW_COLUMNS = ['product_id', 'customer_id', 'session_id', 'source', 'viewed_at'] as const

const skuKey = (sku: string) => `sku:${sku}`
const idKey = (id: number) => `id:${id}`

/**
 * The products the rows name, by SKU or id: those earlier chunks found from `remembered` (products
 * are never deleted, only deactivated — and a view of an inactive product is still a view), the
 * rest in ONE statement, each key one probe of a unique index.
 */
async function resolveProducts(trx: Executor, rows: readonly Numbered<ViewRow>[], remembered: Map<string, unknown>): Promise<void> {
  const skus = new Set<string>()
  const ids = new Set<number>()
  for (const { row } of rows) {
    if (row.sku !== null) {
      if (!remembered.has(skuKey(row.sku))) skus.add(row.sku)
    } else if (row.productId !== null && !remembered.has(idKey(row.productId))) ids.add(row.productId)
  }
  if (skus.size === 0 && ids.size === 0) return
  const { rows: found } = await sql<{ id: string | number; sku: string | null }>`
    select p.id, p.sku from unnest(${[...skus]}::text[]) as s(sku)
      join lateral (select id, sku from product where sku = s.sku limit 1) p on true
    union all
    select p.id, null from unnest(${[...ids]}::bigint[]) as i(id)
      join lateral (select id from product where id = i.id limit 1) p on true`.execute(trx)
  for (const product of found) {
    const id = Number(product.id)
    remembered.set(product.sku === null ? idKey(id) : skuKey(product.sku), id)
  }
}

/** The rows' views as COPY lines, and the rows whose product is unknown (as the statement's rejects say it). */
async function copyChunk(trx: Transaction<Database>, rows: readonly Numbered<ViewRow>[], context: ChunkContext): Promise<ChunkResult> {
  const remembered = context.remembered ?? new Map<string, unknown>()
  await resolveProducts(trx, rows, remembered)
  const now = new Date().toISOString()
  const rejects: Reject[] = []
  let data = ''
  for (const { line, row } of rows) {
    const productId = remembered.get(row.sku !== null ? skuKey(row.sku) : idKey(row.productId!)) as number | undefined
    if (productId === undefined) {
      rejects.push(
        row.sku !== null ? rejectOf(line, 'sku', `no product with SKU ${row.sku}`) : rejectOf(line, 'productId', `no product ${row.productId}`),
      )
    } else {
      data += copyLine([productId, row.customerId, row.sessionId, row.source, row.viewedAt ?? now])
    }
  }
  if (data !== '') await copyRows(trx, 'product_view', VIEW_COLUMNS, data)
  return { written: rows.length - rejects.length, rejects }
}

export const viewsKind: StatementKind<ViewRow> = {
  name: 'views',
  requiredFields: ['sku|productId'],
  // views are appended to a table the shop never writes: a bigger chunk holds no lock anyone waits for
  defaultChunkSize: 10_000,
  parse,
  chunkCtes,
  copyChunk,
}
