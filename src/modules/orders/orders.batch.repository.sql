-- Generated from src/modules/orders/orders.batch.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- transitionOrders: pay, staff of every location
with input as (
  select * from unnest($1::bigint[],
    $2::text[]) as t(id, tracking_reference)
), locked as (
  select o.id, o.status, o.location_id from online_order o
  where o.id in (select id from input)
  order by o.id
  for update of o
), changed as (
  update online_order o set status = $3, updated_at = $4::timestamptz, paid_total = o.total, paid_at = $5::timestamptz
  from input i, locked l
  where o.id = i.id and l.id = i.id and l.status = any($6::text[]) and true
  returning o.id, l.status as from_status, o.tracking_reference
), events as (
  insert into online_order_event (order_id, at, kind, from_status, to_status, actor, detail)
  select c.id, $7::timestamptz, $8, c.from_status, $9, $10, jsonb_build_object('batchId', $11::bigint)
  from changed c
  order by c.id
)
select i.id, l.status, l.location_id, c.id is not null as changed
from input i
left join locked l on l.id = i.id
left join changed c on c.id = i.id;

-- transitionOrders: fulfil, staff of some locations
with input as (
  select * from unnest($1::bigint[],
    $2::text[]) as t(id, tracking_reference)
), locked as (
  select o.id, o.status, o.location_id from online_order o
  where o.id in (select id from input)
  order by o.id
  for update of o
), changed as (
  update online_order o set status = $3, updated_at = $4::timestamptz, tracking_reference = i.tracking_reference, fulfilled_at = $5::timestamptz
  from input i, locked l
  where o.id = i.id and l.id = i.id and l.status = any($6::text[]) and l.location_id = any($7::bigint[])
  returning o.id, l.status as from_status, o.tracking_reference
), events as (
  insert into online_order_event (order_id, at, kind, from_status, to_status, actor, detail)
  select c.id, $8::timestamptz, $9, c.from_status, $10, $11, jsonb_build_object('batchId', $12::bigint, 'trackingReference', c.tracking_reference)
  from changed c
  order by c.id
)
select i.id, l.status, l.location_id, c.id is not null as changed
from input i
left join locked l on l.id = i.id
left join changed c on c.id = i.id;

-- findImportProducts
select coalesce((
  select json_agg(json_build_object('id', p.id, 'sku', p.sku, 'name', p.name, 'base_unit', p.base_unit,
    'price', p.price::text, 'tax_rate', p.tax_rate::text, 'active', p.active,
    'factors', (
      select jsonb_object_agg(u.unit_code, u.factor::text)
      from (select pu.unit_code, pu.factor from product_unit pu where pu.product_id = p.id
            union all select p.base_unit, 1) u
    )))
  from product p where p.sku = any($1::text[])
), '[]') as products,
(select json_build_object('allow_negative_stock', l.allow_negative_stock) from location l where l.id = $2) as location;

-- insertImportedOrders
with import_orders as (
    select * from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], $12::bigint[]) as t(n, external_ref, email, shipping_address, shipping_country, status, subtotal, tax_total, shipping_total, total, paid_total, line_count)
  ), import_lines as (
    select * from unnest($13::bigint[], $14::bigint[], $15::bigint[], $16::text[], $17::text[], $18::text[], $19::numeric[], $20::numeric[], $21::numeric[], $22::numeric[], $23::numeric[], $24::numeric[], $25::numeric[], $26::numeric[]) as t(n, position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price, tax_rate, net_amount, tax_amount, total_amount)
  ), existing as (
    select i.n from import_orders i
    where exists (select 1 from online_order o where o.source = $27 and o.external_ref = i.external_ref)
  ), demand as (
    select l.n, l.product_id, sum(l.base_quantity) as quantity
    from import_lines l where l.n not in (select n from existing)
    group by l.n, l.product_id
  ), level as (
    select d.product_id, coalesce(max(s.quantity), 0) as available
    from demand d left join stock_level s on s.location_id = $28::bigint and s.product_id = d.product_id
    group by d.product_id
  ), alone as (
    -- orders the stock covers on their own: only these take part in the running sums
    select d.n from demand d join level v using (product_id)
    group by d.n having bool_and(d.quantity <= v.available) or $29::boolean
  ), running as (
    select d.n, d.product_id, sum(d.quantity) over (partition by d.product_id order by d.n) as upto, v.available
    from demand d join level v using (product_id)
    where d.n in (select n from alone)
  ), accepted as (
    select n from running group by n having bool_and(upto <= available) or $30::boolean
  ), ord as (
    insert into online_order (source, external_ref, email, status, location_id, shipping_address, shipping_country,
      subtotal, tax_total, shipping_total, total, line_count, payment_provider, paid_total, created_at, updated_at, paid_at)
    select $31, i.external_ref, i.email, i.status, $32::bigint, i.shipping_address::jsonb, i.shipping_country,
      i.subtotal, i.tax_total, i.shipping_total, i.total, i.line_count, $33, i.paid_total, $34::timestamptz, $35::timestamptz,
      case when i.status = 'paid' then $36::timestamptz end
    from import_orders i where i.n in (select n from accepted)
    order by i.n
    on conflict (source, external_ref) where external_ref is not null do nothing
    returning id, external_ref
  ), placed as (
    select i.n, o.id, i.subtotal, i.tax_total, i.status from ord o join import_orders i on i.external_ref = o.external_ref
  ), new_lines as (
    insert into online_order_line (order_id, position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price, tax_rate, net_amount, tax_amount, total_amount)
    select p.id, l.position, l.product_id, l.sku, l.name, l.unit, l.quantity, l.factor, l.base_quantity, l.unit_price, l.tax_rate, l.net_amount, l.tax_amount, l.total_amount
    from placed p join import_lines l on l.n = p.n
    order by p.id, l.position
  ), events as (
    insert into online_order_event (order_id, at, kind, from_status, to_status, actor, detail)
    select p.id, $37::timestamptz, e.kind, e.from_status, e.to_status, $38,
      jsonb_build_object('batchId', $39::bigint, 'source', $40::text)
    from placed p
    cross join (values ('imported', null, 'placed', 1), ('paid', 'placed', 'paid', 2)) as e(kind, from_status, to_status, k)
    where e.k = 1 or p.status = 'paid'
    order by p.id, e.k
  ), stock_input as (
    -- one movement per stock row, summed, so each row is locked and written once
    select t.location_id, t.product_id, sum(t.delta) as delta, min(t.reason) as reason,
      coalesce(bool_or(l.allow_negative_stock), false) as allow_negative
    from (select $41::bigint, l.product_id, -l.base_quantity, 'sale'::text from placed p join import_lines l on l.n = p.n) as t(location_id, product_id, delta, reason)
    left join location l on l.id = t.location_id

    group by t.location_id, t.product_id
    having sum(t.delta) <> 0
  ), stock_applied as (
    -- a new row taking a location that forbids it below zero is inserted, then refused by the short list
    insert into stock_level as s (location_id, product_id, quantity, updated_at)
    select i.location_id, i.product_id, i.delta, now()
    from stock_input i
    order by i.location_id, i.product_id
    on conflict (location_id, product_id) do update
      set quantity = s.quantity + excluded.quantity, updated_at = excluded.updated_at
      where excluded.quantity >= 0
        or s.quantity + excluded.quantity >= 0
        or (select l.allow_negative_stock from location l where l.id = s.location_id)
    returning s.location_id, s.product_id, s.quantity
  ), stock_ledger_rows as (
    -- the ledger row of every applied movement, so the ledger always sums to the stock
    insert into stock_ledger (location_id, product_id, delta, reason, reference, token_id)
    select i.location_id, i.product_id, i.delta, i.reason, $42, $43::bigint
    from stock_input i
    join stock_applied a on a.location_id = i.location_id and a.product_id = i.product_id
    order by i.location_id, i.product_id
  ), stock_short as (
    -- a locking read: it sees the row version the refusal was judged on (which this statement
    -- holds locked), not the older one of the statement's snapshot
    select i.location_id, i.product_id, -i.delta as requested, coalesce(a.quantity - i.delta, (
        select s.quantity from stock_level s where s.location_id = i.location_id and s.product_id = i.product_id for share
      ), 0) as available
    from stock_input i
    left join stock_applied a on a.location_id = i.location_id and a.product_id = i.product_id
    where a.product_id is null or (i.delta < 0 and a.quantity < 0 and not i.allow_negative)
  ), sales_rollup_products as (
    insert into sales_rollup_product_hour as r (location_id, bucket, channel, product_id, quantity, net_amount, tax_amount,
      total_amount)
    select $44::bigint, date_bin('15 minutes', $45::timestamptz, timestamptz '1970-01-01 00:00:00+00'), 'online', l.product_id, sum(l.base_quantity), sum(l.net_amount), sum(l.tax_amount),
      sum(l.total_amount)
    from placed p join import_lines l on l.n = p.n
    cross join (select count(*) from stock_applied) as stock_first
    group by l.product_id
    order by l.product_id
    on conflict (location_id, bucket, channel, product_id) do update
      set quantity = r.quantity + excluded.quantity, net_amount = r.net_amount + excluded.net_amount,
        tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount
    returning r.product_id
  ), sales_rollup_location as (
    insert into sales_rollup_hour as r (location_id, bucket, channel, shard, invoices, returns, net_amount, tax_amount,
      total_amount, discount_amount)
    select $46::bigint, date_bin('15 minutes', $47::timestamptz, timestamptz '1970-01-01 00:00:00+00'), 'online', p.shard, count(*), 0, sum(p.subtotal), sum(p.tax_total),
      sum(p.subtotal + p.tax_total), 0
    from (select id % 16 as shard, subtotal, tax_total from placed) p
    cross join (select count(*) from sales_rollup_products) as products_first
    group by p.shard
    order by p.shard
    on conflict (location_id, bucket, channel, shard) do update
      set invoices = r.invoices + excluded.invoices, returns = r.returns + excluded.returns,
        net_amount = r.net_amount + excluded.net_amount, tax_amount = r.tax_amount + excluded.tax_amount,
        total_amount = r.total_amount + excluded.total_amount,
        discount_amount = r.discount_amount + excluded.discount_amount
  )
  select
    coalesce((select json_agg(json_build_object('n', n, 'id', id) order by n) from placed), '[]') as placed,
    coalesce((select json_agg(n order by n) from existing), '[]') as duplicates,
    coalesce((
      select json_agg(json_build_object('n', s.n, 'lines', s.lines) order by s.n)
      from (
        select d.n, json_agg(json_build_object('productId', d.product_id, 'requested', d.quantity::text,
          'available', v.available::text) order by d.product_id) as lines
        from demand d join level v using (product_id)
        where d.n not in (select n from accepted)
        group by d.n
      ) s), '[]') as short,
    case
when (select count(*) from stock_input) = (select count(*) from stock_applied)
  and not exists (select 1 from stock_applied where quantity < 0) then true
else brisk_refuse_short_stock((
  select jsonb_agg(jsonb_build_object('locationId', location_id, 'productId', product_id,
    'requested', requested::text, 'available', available::text) order by location_id, product_id)
  from stock_short))
end as stock_ok;
