-- Generated from src/modules/activity/activity.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- insertViews
with input as (
  select * from unnest($1::int[], $2::text[],
    $3::bigint[], $4::bigint[],
    $5::text[], $6::text[],
    $7::timestamptz[]) as t(index, sku, product_id, customer_id, session_id, source, viewed_at)
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
    from resolved where resolved_id is null or not customer_known) as unknown;

-- findRecentViews
select (select id from customer where id = $1) as customer,
coalesce((select json_agg(v order by v."viewedAt" desc, v.id desc) from (
  select pv.id, p.id as "productId", p.sku, p.name, p.price::text as price, pv.session_id as "sessionId", pv.source,
    to_char(pv.viewed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "viewedAt"
  from product_view pv join product p on p.id = pv.product_id
  where pv.customer_id = $2
  order by pv.viewed_at desc, pv.id desc
  limit $3) v), '[]') as items;

-- countViewsByDay
select (select id from product where id = $1) as product,
coalesce((select json_agg(d order by d.day, d.source) from (
  select to_char(pv.viewed_at at time zone $2, 'YYYY-MM-DD') as day, pv.source, count(*)::int as views
  from product_view pv
  where pv.product_id = $3
    and pv.viewed_at >= ($4::date)::timestamp at time zone $5
    and pv.viewed_at < ($6::date + 1)::timestamp at time zone $7
  group by 1, 2) d), '[]') as items;

-- upsertScores
with input as (
  select * from unnest($1::int[], $2::bigint[],
    $3::bigint[], $4::text[],
    $5::text[], $6::numeric[])
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
  (select json_agg(indexes order by indexes[1]) from duplicates) as duplicates;

-- findTopRecommendations
select (select id from customer where id = $1) as customer,
coalesce((select json_agg(r order by r.score::numeric desc, r."productId") from (
  select p.id as "productId", p.sku, p.name, p.price::text as price, s.score::text as score
  from recommendation_score s join product p on p.id = s.product_id and p.active
  where s.customer_id = $2 and s.algorithm = $3
  order by s.score desc, s.product_id
  limit $4) r), '[]') as items;

-- deleteOldViews
delete from product_view where id in (
select id from product_view where viewed_at < now() - make_interval(days => $1::int)
order by viewed_at limit $2);
