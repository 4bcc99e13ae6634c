-- Generated from src/modules/reporting/reporting.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- applySalesRollups
with sales_rollup_products as (
  -- per product and quarter hour, in product order, so concurrent sales lock these rows alike
  insert into sales_rollup_product_hour as r (location_id, bucket, channel, product_id, quantity, net_amount, tax_amount,
    total_amount)
  select $1::bigint, date_bin('15 minutes', $2::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $3::text, t.product_id,
    sum(t.quantity), sum(t.net_amount), sum(t.tax_amount), sum(t.total_amount)
  from (select * from unnest($4::bigint[], $5::numeric[],
      $6::numeric[], $7::numeric[],
      $8::numeric[])) as t(product_id, quantity, net_amount, tax_amount, total_amount)


  group by t.product_id
  order by t.product_id
  on conflict (location_id, bucket, channel, product_id) do update
    set quantity = r.quantity + excluded.quantity, net_amount = r.net_amount + excluded.net_amount,
      tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount
  returning r.product_id
), sales_rollup_location as (
  -- per location, quarter hour and shard: the shard spreads concurrent tills over several rows
  insert into sales_rollup_hour as r (location_id, bucket, channel, shard, invoices, returns, net_amount, tax_amount,
    total_amount, discount_amount)
  select $9::bigint, date_bin('15 minutes', $10::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $11::text, $12::bigint,
    $13::bigint, $14::bigint, $15::numeric, $16::numeric,
    $17::numeric, $18::numeric
  -- reading the product upserts makes them finish first: the lock order is the same in every statement
  from (select count(*) from sales_rollup_products) as products_first

  on conflict (location_id, bucket, channel, shard) do update
    set invoices = r.invoices + excluded.invoices, returns = r.returns + excluded.returns,
      net_amount = r.net_amount + excluded.net_amount, tax_amount = r.tax_amount + excluded.tax_amount,
      total_amount = r.total_amount + excluded.total_amount,
      discount_amount = r.discount_amount + excluded.discount_amount
) select 1;

-- readHourlySales
with day as (
  select ($1::date)::timestamp at time zone $2 as first, ($3::date + 1)::timestamp at time zone $4 as after
), quarter as (
  -- the day's quarter hours, each with the local clock time it starts at
  select q.bucket, q.bucket at time zone $5 as clock
  from day cross join generate_series(day.first, day.after - interval '15 minutes', interval '15 minutes') as q(bucket)
), sold as (
  -- the location's rollups of that day, shards summed
  select r.bucket, r.channel, sum(r.invoices) as invoices, sum(r.returns) as returns, sum(r.net_amount) as net_amount,
    sum(r.tax_amount) as tax_amount, sum(r.total_amount) as total_amount, sum(r.discount_amount) as discount_amount
  from day join sales_rollup_hour r on r.location_id = $6 and r.bucket >= day.first and r.bucket < day.after

  group by r.bucket, r.channel
)
-- a quarter's hour starts as many minutes before it as the local clock shows past the hour
select q.bucket - (q.clock - date_trunc('hour', q.clock)) as hour,
  to_char(date_trunc('hour', q.clock), 'YYYY-MM-DD"T"HH24:MI:SS') as local_hour,
  coalesce(sum(s.invoices), 0)::bigint as invoices,
  coalesce(sum(s.returns), 0)::bigint as returns,
  coalesce(sum(s.net_amount), 0)::numeric(16, 2) as net_amount,
  coalesce(sum(s.tax_amount), 0)::numeric(16, 2) as tax_amount,
  coalesce(sum(s.total_amount), 0)::numeric(16, 2) as total_amount,
  coalesce(sum(s.discount_amount), 0)::numeric(16, 2) as discount_amount,
  coalesce(sum(s.invoices) filter (where s.channel = 'pos'), 0)::bigint as pos_invoices,
  coalesce(sum(s.returns) filter (where s.channel = 'pos'), 0)::bigint as pos_returns,
  coalesce(sum(s.net_amount) filter (where s.channel = 'pos'), 0)::numeric(16, 2) as pos_net_amount,
  coalesce(sum(s.tax_amount) filter (where s.channel = 'pos'), 0)::numeric(16, 2) as pos_tax_amount,
  coalesce(sum(s.total_amount) filter (where s.channel = 'pos'), 0)::numeric(16, 2) as pos_total_amount,
  coalesce(sum(s.discount_amount) filter (where s.channel = 'pos'), 0)::numeric(16, 2) as pos_discount_amount,
  coalesce(sum(s.invoices) filter (where s.channel = 'online'), 0)::bigint as online_invoices,
  coalesce(sum(s.returns) filter (where s.channel = 'online'), 0)::bigint as online_returns,
  coalesce(sum(s.net_amount) filter (where s.channel = 'online'), 0)::numeric(16, 2) as online_net_amount,
  coalesce(sum(s.tax_amount) filter (where s.channel = 'online'), 0)::numeric(16, 2) as online_tax_amount,
  coalesce(sum(s.total_amount) filter (where s.channel = 'online'), 0)::numeric(16, 2) as online_total_amount,
  coalesce(sum(s.discount_amount) filter (where s.channel = 'online'), 0)::numeric(16, 2) as online_discount_amount
from quarter q left join sold s on s.bucket = q.bucket
group by 1, 2
order by 1;

-- readTopProducts
select r.product_id, p.sku, p.name, sum(r.quantity) as quantity, sum(r.net_amount) as net_amount,
  sum(r.tax_amount) as tax_amount, sum(r.total_amount) as total_amount
from sales_rollup_product_hour r
join product p on p.id = r.product_id
where r.location_id = $1 and r.bucket >= ($2::date)::timestamp at time zone $3
  and r.bucket < ($4::date + 1)::timestamp at time zone $5 and r.channel = $6
group by r.product_id, p.sku, p.name
having sum(r.quantity) <> 0 or sum(r.total_amount) <> 0
order by sum(r.total_amount) desc, r.product_id
limit $7;
