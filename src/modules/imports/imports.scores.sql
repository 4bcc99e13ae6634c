-- Generated from src/modules/imports/imports.scores.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- scoresKind.chunkCtes
with score_raw as (
  select * from unnest($1::int[], $2::bigint[], $3::text[],
    $4::bigint[], $5::text[], $6::numeric[])
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
), run_advanced as (
  update import_run set rows_committed = rows_committed + $7,
    rows_written = rows_written + (select written from chunk_outcome),
    rows_rejected = rows_rejected + $8 + coalesce(json_array_length((select rejects from chunk_outcome)), 0),
    chunks = chunks + 1, status = $9, updated_at = now()
  where id = $10 and rows_committed = $11
  returning 1
)
select o.*, (select brisk_abort($12) where not exists (select 1 from run_advanced)) as run_moved
from chunk_outcome o;
