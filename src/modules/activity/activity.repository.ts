import { sql } from 'kysely'
import type { Executor } from '../../infra/db/database.ts'

/** A view ready to write: `index` is its position in the request, to name it in errors. */
export interface ViewRecord {
  index: number
  productId: number | null
  sku: string | null
  customerId: number | null
  sessionId: string | null
  source: string
  viewedAt: string | null
}

/** A score ready to write: `score` an exact decimal string already checked against its column. */
export interface ScoreRecord {
  index: number
  customerId: number
  productId: number | null
  sku: string | null
  algorithm: string
  score: string
}

const column = <R, T>(rows: readonly R[], pick: (row: R) => T) => rows.map(pick)

/**
 * Resolves every product (by SKU or id) and customer and appends the views in ONE statement — but
 * only when all resolve: product_view has no foreign keys, so this check is what keeps it clean.
 */
export async function insertViews(db: Executor, views: readonly ViewRecord[]) {
  const { rows } = await sql<{ recorded: number; unknown: { index: number; sku: string | null; product: boolean }[] | null }>`
    with input as (
      select * from unnest(${column(views, (v) => v.index)}::int[], ${column(views, (v) => v.sku)}::text[],
        ${column(views, (v) => v.productId)}::bigint[], ${column(views, (v) => v.customerId)}::bigint[],
        ${column(views, (v) => v.sessionId)}::text[], ${column(views, (v) => v.source)}::text[],
        ${column(views, (v) => v.viewedAt)}::timestamptz[]) as t(index, sku, product_id, customer_id, session_id, source, viewed_at)
    ), resolved as (
      select i.*, coalesce(by_sku.id, by_id.id) as resolved_id, i.customer_id is null or c.id is not null as customer_known
      from input i
      left join product by_sku on by_sku.sku = i.sku
      left join product by_id on i.sku is null and by_id.id = i.product_id
      left join customer c on c.id = i.customer_id
    ), written as (
      insert into product_view (product_id, customer_id, session_id, source, viewed_at)
      select resolved_id, customer_id, session_id, source, coalesce(viewed_at, now()) from resolved
      where not exists (select from resolved where resolved_id is null or not customer_known)
      order by index
      returning 1
    )
    select (select count(*)::int from written) as recorded,
      (select json_agg(json_build_object('index', index, 'sku', sku, 'product', resolved_id is null) order by index)
        from resolved where resolved_id is null or not customer_known) as unknown`.execute(db)
  return rows[0]!
}

/** A customer's latest views with their products; `customer` null when there is no such customer. */
export async function findRecentViews(db: Executor, customerId: number, limit: number) {
  const { rows } = await sql<{ customer: number | null; items: RecentViewRow[] }>`
    select (select id from customer where id = ${customerId}) as customer,
      coalesce((select json_agg(v order by v."viewedAt" desc, v.id desc) from (
        select pv.id, p.id as "productId", p.sku, p.name, p.price::text as price, pv.session_id as "sessionId", pv.source,
          to_char(pv.viewed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "viewedAt"
        from product_view pv join product p on p.id = pv.product_id
        where pv.customer_id = ${customerId}
        order by pv.viewed_at desc, pv.id desc
        limit ${limit}) v), '[]') as items`.execute(db)
  return rows[0]!
}

export interface RecentViewRow {
  id: number
  productId: number
  sku: string
  name: string
  price: string
  sessionId: string | null
  source: string
  viewedAt: string
}

/** A product's views per local day and source over [from, to]; `product` null when there is no such product. */
export async function countViewsByDay(db: Executor, query: { productId: number; from: string; to: string; timeZone: string }) {
  const { rows } = await sql<{ product: number | null; items: { day: string; source: string; views: number }[] }>`
    select (select id from product where id = ${query.productId}) as product,
      coalesce((select json_agg(d order by d.day, d.source) from (
        select to_char(pv.viewed_at at time zone ${query.timeZone}, 'YYYY-MM-DD') as day, pv.source, count(*)::int as views
        from product_view pv
        where pv.product_id = ${query.productId}
          and pv.viewed_at >= (${query.from}::date)::timestamp at time zone ${query.timeZone}
          and pv.viewed_at < (${query.to}::date + 1)::timestamp at time zone ${query.timeZone}
        group by 1, 2) d), '[]') as items`.execute(db)
  return rows[0]!
}

/**
 * Upserts the scores in ONE statement when every product and customer resolves and no two rows
 * name the same key. Rows are inserted in key order so that two concurrent batches lock the
 * rows they share in the same order and cannot deadlock.
 */
export async function upsertScores(db: Executor, scores: readonly ScoreRecord[]) {
  const { rows } = await sql<{
    upserted: number
    unknown: { index: number; product: boolean; customer: boolean }[] | null
    duplicates: number[][] | null
  }>`
    with input as (
      select * from unnest(${column(scores, (s) => s.index)}::int[], ${column(scores, (s) => s.customerId)}::bigint[],
        ${column(scores, (s) => s.productId)}::bigint[], ${column(scores, (s) => s.sku)}::text[],
        ${column(scores, (s) => s.algorithm)}::text[], ${column(scores, (s) => s.score)}::numeric[])
        as t(index, customer_id, product_id, sku, algorithm, score)
    ), resolved as (
      select i.index, i.customer_id, coalesce(by_sku.id, by_id.id) as resolved_id, i.algorithm, i.score, c.id is not null as customer_known
      from input i
      left join product by_sku on by_sku.sku = i.sku
      left join product by_id on i.sku is null and by_id.id = i.product_id
      left join customer c on c.id = i.customer_id
    ), duplicates as (
      select array_agg(index order by index) as indexes from resolved
      where resolved_id is not null group by customer_id, algorithm, resolved_id having count(*) > 1
    ), written as (
      insert into recommendation_score (customer_id, product_id, algorithm, score, updated_at)
      select customer_id, resolved_id, algorithm, score, now() from resolved
      where not exists (select from resolved where resolved_id is null or not customer_known)
        and not exists (select from duplicates)
      order by customer_id, algorithm, resolved_id
      on conflict (customer_id, algorithm, product_id) do update set score = excluded.score, updated_at = excluded.updated_at
      returning 1
    )
    select (select count(*)::int from written) as upserted,
      (select json_agg(json_build_object('index', index, 'product', resolved_id is null, 'customer', not customer_known) order by index)
        from resolved where resolved_id is null or not customer_known) as unknown,
      (select json_agg(indexes order by indexes[1]) from duplicates) as duplicates`.execute(db)
  return rows[0]!
}

export interface RecommendationRow {
  productId: number
  sku: string
  name: string
  price: string
  score: string
}

/** A customer's best-scored active products of an algorithm; `customer` null when there is no such customer. */
export async function findTopRecommendations(db: Executor, query: { customerId: number; algorithm: string; limit: number }) {
  const { rows } = await sql<{ customer: number | null; items: RecommendationRow[] }>`
    select (select id from customer where id = ${query.customerId}) as customer,
      coalesce((select json_agg(r order by r.score::numeric desc, r."productId") from (
        select p.id as "productId", p.sku, p.name, p.price::text as price, s.score::text as score
        from recommendation_score s join product p on p.id = s.product_id and p.active
        where s.customer_id = ${query.customerId} and s.algorithm = ${query.algorithm}
        order by s.score desc, s.product_id
        limit ${query.limit}) r), '[]') as items`.execute(db)
  return rows[0]!
}

/** Deletes up to `batchSize` of the oldest views older than `olderThanDays`; answers how many went. */
export async function deleteOldViews(db: Executor, olderThanDays: number, batchSize: number): Promise<number> {
  const result = await sql`
    delete from product_view where id in (
      select id from product_view where viewed_at < now() - make_interval(days => ${olderThanDays}::int)
      order by viewed_at limit ${batchSize})`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}
