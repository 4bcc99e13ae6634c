/**
 * Recommendation scores: `customerId, sku|productId, algorithm, score` upserted in place, one
 * statement per chunk. Rows are written in key order (customer, algorithm, product), so two imports
 * (or an import and the live writer) lock in the same order; a key given twice in a chunk keeps its
 * last line. An unknown customer or product is a reject, not a failed chunk.
 */
import { sql } from 'kysely'
import { decimal, id, isRejected, productRef, text } from './imports.fields.ts'
import type { Numbered, Reject, StatementKind } from './imports.kinds.ts'

export interface ScoreRow {
  customerId: number
  sku: string | null
  productId: number | null
  algorithm: string
  /** numeric(12,6) */
  score: string
}

function parse(record: Record<string, unknown>, line: number): ScoreRow | Reject {
  const customerId = id(record, 'customerId', line, { required: true })
  if (isRejected(customerId)) return customerId
  const product = productRef(record, line)
  if (isRejected(product)) return product
  const algorithm = text(record, 'algorithm', line, { required: true, pattern: /^[a-z0-9_-]{1,32}$/ })
  if (isRejected(algorithm)) return algorithm
  const score = decimal(record, 'score', line, { integer: 6, fraction: 6, negative: true })
  if (isRejected(score)) return score
  return { customerId: customerId!, sku: product.sku, productId: product.productId, algorithm: algorithm!, score }
}

function chunkCtes(rows: readonly Numbered<ScoreRow>[]) {
  const column = <T>(pick: (row: ScoreRow) => T) => rows.map((r) => pick(r.row))
  return sql`score_raw as (
      select * from unnest(${rows.map((r) => r.line)}::int[], ${column((r) => r.customerId)}::bigint[], ${column((r) => r.sku)}::text[],
        ${column((r) => r.productId)}::bigint[], ${column((r) => r.algorithm)}::text[], ${column((r) => r.score)}::numeric[])
        as t(line, customer_id, sku, product_id, algorithm, score)
    ), score_input as (
      select s.line, s.sku, s.product_id as given_id, coalesce(by_sku.id, by_id.id) as product_id, c.id as customer_id,
        s.customer_id as given_customer, s.algorithm, s.score
      from score_raw s
      left join product by_sku on by_sku.sku = s.sku
      left join product by_id on s.sku is null and by_id.id = s.product_id
      left join customer c on c.id = s.customer_id
    ), score_latest as (
      select distinct on (customer_id, algorithm, product_id) customer_id, algorithm, product_id, score
      from score_input where product_id is not null and customer_id is not null
      order by customer_id, algorithm, product_id, line desc
    ), score_written as (
      insert into recommendation_score as r (customer_id, algorithm, product_id, score, updated_at)
      select customer_id, algorithm, product_id, score, now() from score_latest
      order by customer_id, algorithm, product_id
      on conflict (customer_id, algorithm, product_id) do update set score = excluded.score, updated_at = excluded.updated_at
        where r.score is distinct from excluded.score
      returning 1
    ), chunk_outcome as (
      select (select count(*) from score_written)::int as written,
      (select json_agg(json_build_object(
          'line', line,
          'field', case when customer_id is null then 'customerId' when sku is null then 'productId' else 'sku' end,
          'message', case when customer_id is null then 'no customer ' || given_customer
            when sku is null then 'no product ' || given_id else 'no product with SKU ' || sku end) order by line)
        from score_input where product_id is null or customer_id is null) as rejects
    )`
}

export const scoresKind: StatementKind<ScoreRow> = {
  name: 'scores',
  requiredFields: ['customerId', 'sku|productId', 'algorithm', 'score'],
  parse,
  chunkCtes,
}
