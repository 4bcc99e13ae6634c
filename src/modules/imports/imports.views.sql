-- Generated from src/modules/imports/imports.views.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- viewsKind.chunkCtes
with view_raw as (
  select * from unnest($1::int[], $2::text[], $3::bigint[],
    $4::bigint[], $5::text[], $6::text[],
    $7::timestamptz[]) as t(line, sku, product_id, customer_id, session_id, source, viewed_at)
), view_input as (
  select v.line, v.sku, v.product_id as given_id, coalesce(by_sku.id, by_id.id) as product_id,
    v.customer_id, v.session_id, v.source, coalesce(v.viewed_at, now()) as viewed_at
  from view_raw v
  left join product by_sku on by_sku.sku = v.sku
  left join product by_id on v.sku is null and by_id.id = v.product_id
), view_written as (
  insert into product_view (product_id, customer_id, session_id, source, viewed_at)
  select product_id, customer_id, session_id, source, viewed_at from view_input where product_id is not null order by line
  returning 1
), chunk_outcome as (
  select (select count(*) from view_written)::int as written, (select json_agg(json_build_object(
  'line', line,
  'field', case when sku is null then 'productId' else 'sku' end,
  'message', case when sku is null then 'no product ' || given_id else 'no product with SKU ' || sku end) order by line)
from view_input where product_id is null) as rejects
), run_advanced as (
  update import_run set rows_committed = rows_committed + $8,
    rows_written = rows_written + (select written from chunk_outcome),
    rows_rejected = rows_rejected + $9 + coalesce(json_array_length((select rejects from chunk_outcome)), 0),
    chunks = chunks + 1, status = $10, updated_at = now()
  where id = $11 and rows_committed = $12
  returning 1
)
select o.*, (select brisk_abort($13) where not exists (select 1 from run_advanced)) as run_moved
from chunk_outcome o;

-- viewsKind.copyChunk: the products it has not seen yet, then COPY
select p.id, p.sku from unnest($1::text[]) as s(sku)
  join lateral (select id, sku from product where sku = s.sku limit 1) p on true
union all
select p.id, null from unnest($2::bigint[]) as i(id)
  join lateral (select id from product where id = i.id limit 1) p on true;
