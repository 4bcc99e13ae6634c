-- Generated from src/modules/orders/orders.placement.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- findCheckoutCart: a guest
/* prepared */
select c.id, (extract(epoch from c.updated_at) * 1000000)::bigint as version, clock_timestamp() as at,
  coalesce((
    select json_agg(json_build_object('id', l.id, 'product_id', l.product_id, 'unit', l.unit, 'quantity', l.quantity::text)
      order by l.id)
    from cart_line l where l.cart_id = c.id), '[]') as lines,
  (
    select json_build_object('id', m.id, 'name', m.name, 'price', r.price::text, 'free_over', r.free_over::text)
    from shipping_method m
    join lateral (
      select price, free_over from shipping_rate
      where shipping_method_id = m.id and country in ($1, '*')
      order by country = '*' limit 1
    ) r on true
    where m.code = $2 and m.active
  ) as shipping,
  nextval(pg_get_serial_sequence('online_order', 'id')) as order_id,
  coalesce((
    select array_agg(nextval(pg_get_serial_sequence('online_order_line', 'id')))
    from cart_line l where l.cart_id = c.id), '{}') as line_ids
from cart c
where c.token_hash = $3 and c.expires_at > now();

-- findCheckoutCart: a customer
/* prepared */
select c.id, (extract(epoch from c.updated_at) * 1000000)::bigint as version, clock_timestamp() as at,
  coalesce((
    select json_agg(json_build_object('id', l.id, 'product_id', l.product_id, 'unit', l.unit, 'quantity', l.quantity::text)
      order by l.id)
    from cart_line l where l.cart_id = c.id), '[]') as lines,
  (
    select json_build_object('id', m.id, 'name', m.name, 'price', r.price::text, 'free_over', r.free_over::text)
    from shipping_method m
    join lateral (
      select price, free_over from shipping_rate
      where shipping_method_id = m.id and country in ($1, '*')
      order by country = '*' limit 1
    ) r on true
    where m.code = $2 and m.active
  ) as shipping,
  nextval(pg_get_serial_sequence('online_order', 'id')) as order_id,
  coalesce((
    select array_agg(nextval(pg_get_serial_sequence('online_order_line', 'id')))
    from cart_line l where l.cart_id = c.id), '{}') as line_ids
from cart c
where c.customer_id = $3 and c.expires_at > now();

-- insertOrder: with its key claimed
/* prepared */
  with input as (
    -- the lines, sent as one array per column
    select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], $12::numeric[], $13::numeric[]) as t(position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price, tax_rate, net_amount, tax_amount, total_amount)
  ), stale as (
    -- lines priced from catalog values that changed since: the write then writes nothing
    select t.position
    from input t
    join unnest($14::bigint[], $15::numeric[]) as c(position, price) on c.position = t.position
    where (
      select p.active and p.sku = t.sku and p.name = t.name and p.price = c.price and p.tax_rate = t.tax_rate
        and case when t.unit = p.base_unit then t.factor = 1 else coalesce((
          select pu.factor = t.factor from product_unit pu where pu.product_id = p.id and pu.unit_code = t.unit
        ), false) end
      from product p where p.id = t.product_id
    ) is not true
  ), need as (
    select product_id, sum(base_quantity) as quantity from input group by product_id
  ), fulfiller as (
    -- the first location selling online that holds every line; else the first, which refuses the shortfall
    select l.id from location l
    where l.sells_online
    -- each line's stock row looked up by its key: a join here would read every stock row of the location
    order by (l.allow_negative_stock or not exists (
        select 1 from need n
        where coalesce((select s.quantity from stock_level s where s.location_id = l.id and s.product_id = n.product_id), 0) < n.quantity
      )) desc,
      l.online_priority, l.id
    limit 1
  ), claim as (
    -- the Idempotency-Key with the response a retry gets, committed with the write itself
    insert into idempotency_key as k (scope, key, operation, request_hash, response)
    select $16, $17, $18, $19, jsonb_set($20::jsonb, '{locationId}', to_jsonb((select id from fulfiller)))
    where not exists (select 1 from stale) and exists (select 1 from fulfiller)
    on conflict (scope, key) do update
    set operation = excluded.operation, request_hash = excluded.request_hash, response = excluded.response, created_at = now()
    where k.created_at < now() - make_interval(hours => $21::integer)
    returning k.id
  ), cart_taken as (
    -- the cart, only as it was read: a concurrent change or a second placement of it finds nothing here
    delete from cart where id = $22 and (extract(epoch from updated_at) * 1000000)::bigint = $23
      and exists (select 1 from claim)
    returning id
  ), ord as (
    insert into online_order (id, customer_id, email, access_token_hash, status, location_id, shipping_method_id,
      shipping_method_name, shipping_address, shipping_country, subtotal, tax_total, shipping_total, total, line_count,
      payment_provider, payment_reference, paid_total, created_at, updated_at, paid_at)
    overriding system value
    select $24::bigint, $25::bigint, $26, $27, $28, f.id,
      $29::bigint, $30, $31::jsonb,
      $32, $33::numeric, $34::numeric, $35::numeric,
      $36::numeric, $37::bigint, $38, $39,
      $40::numeric, $41::timestamptz, $42::timestamptz,
      $43::timestamptz
    from fulfiller f where exists (select 1 from cart_taken)
    returning id, location_id
  ), new_lines as (
    insert into online_order_line (id, order_id, position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price, tax_rate, net_amount, tax_amount, total_amount)
    overriding system value
    select ids.id, ord.id, t.*
    from ord cross join input t
    join unnest($44::bigint[]) with ordinality as ids(id, n) on ids.n = t.position + 1
    order by t.position
  ), events as (
    -- the history: placed, and paid at once when the provider took the money
    insert into online_order_event (order_id, at, kind, from_status, to_status, actor, detail)
    select ord.id, $45::timestamptz, e.kind, e.from_status, e.to_status, $46,
      jsonb_build_object('paymentProvider', $47::text)
    from ord cross join (values ('placed', null, 'placed', 1), ('paid', 'placed', 'paid', 2)) as e(kind, from_status, to_status, n)
    where e.n = 1 or $48
    order by e.n
  ), stock_input as (
    -- one movement per stock row, summed, so each row is locked and written once
    select t.location_id, t.product_id, sum(t.delta) as delta, min(t.reason) as reason,
      coalesce(bool_or(l.allow_negative_stock), false) as allow_negative
    from (select ord.location_id, t.product_id, -t.base_quantity, 'sale'::text from ord cross join input t) as t(location_id, product_id, delta, reason)
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
    select i.location_id, i.product_id, i.delta, i.reason, $49, $50::bigint
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
    -- per product and quarter hour, in product order, so concurrent sales lock these rows alike
    insert into sales_rollup_product_hour as r (location_id, bucket, channel, product_id, quantity, net_amount, tax_amount,
      total_amount)
    select (select location_id from ord), date_bin('15 minutes', $51::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $52::text, t.product_id,
      sum(t.quantity), sum(t.net_amount), sum(t.tax_amount), sum(t.total_amount)
    from (select product_id, base_quantity, net_amount, tax_amount, total_amount from input) as t(product_id, quantity, net_amount, tax_amount, total_amount)
    cross join (select count(*) from "stock_applied") as earlier_first
    where exists (select 1 from ord)
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
    select (select location_id from ord), date_bin('15 minutes', $53::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $54::text, $55::bigint,
      $56::bigint, $57::bigint, $58::numeric, $59::numeric,
      $60::numeric, $61::numeric
    -- reading the product upserts makes them finish first: the lock order is the same in every statement
    from (select count(*) from sales_rollup_products) as products_first
    where exists (select 1 from ord)
    on conflict (location_id, bucket, channel, shard) do update
      set invoices = r.invoices + excluded.invoices, returns = r.returns + excluded.returns,
        net_amount = r.net_amount + excluded.net_amount, tax_amount = r.tax_amount + excluded.tax_amount,
        total_amount = r.total_amount + excluded.total_amount,
        discount_amount = r.discount_amount + excluded.discount_amount
  )
  select (select count(*) from stale)::integer as stale, (select count(*) from fulfiller)::integer as fulfillers,
    (select count(*) from claim)::integer as claimed, (select count(*) from cart_taken)::integer as cart_taken,
    -- a key claimed for a cart that changed meanwhile: undone, so no response is stored for an order never placed
    case when (select count(*) from claim) > (select count(*) from cart_taken) then brisk_abort($62) else true end
      as claim_ok,
    (select location_id from ord) as location_id, case
when (select count(*) from stock_input) = (select count(*) from stock_applied)
  and not exists (select 1 from stock_applied where quantity < 0) then true
else brisk_refuse_short_stock((
  select jsonb_agg(jsonb_build_object('locationId', location_id, 'productId', product_id,
    'requested', requested::text, 'available', available::text) order by location_id, product_id)
  from stock_short))
end as stock_ok;

-- insertOrder
/* prepared */
  with input as (
    -- the lines, sent as one array per column
    select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], $12::numeric[], $13::numeric[]) as t(position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price, tax_rate, net_amount, tax_amount, total_amount)
  ), stale as (
    -- lines priced from catalog values that changed since: the write then writes nothing
    select t.position
    from input t
    join unnest($14::bigint[], $15::numeric[]) as c(position, price) on c.position = t.position
    where (
      select p.active and p.sku = t.sku and p.name = t.name and p.price = c.price and p.tax_rate = t.tax_rate
        and case when t.unit = p.base_unit then t.factor = 1 else coalesce((
          select pu.factor = t.factor from product_unit pu where pu.product_id = p.id and pu.unit_code = t.unit
        ), false) end
      from product p where p.id = t.product_id
    ) is not true
  ), need as (
    select product_id, sum(base_quantity) as quantity from input group by product_id
  ), fulfiller as (
    -- the first location selling online that holds every line; else the first, which refuses the shortfall
    select l.id from location l
    where l.sells_online
    -- each line's stock row looked up by its key: a join here would read every stock row of the location
    order by (l.allow_negative_stock or not exists (
        select 1 from need n
        where coalesce((select s.quantity from stock_level s where s.location_id = l.id and s.product_id = n.product_id), 0) < n.quantity
      )) desc,
      l.online_priority, l.id
    limit 1
  ), claim as (select 1 where not exists (select 1 from stale) and exists (select 1 from fulfiller)), cart_taken as (
    -- the cart, only as it was read: a concurrent change or a second placement of it finds nothing here
    delete from cart where id = $16 and (extract(epoch from updated_at) * 1000000)::bigint = $17
      and exists (select 1 from claim)
    returning id
  ), ord as (
    insert into online_order (id, customer_id, email, access_token_hash, status, location_id, shipping_method_id,
      shipping_method_name, shipping_address, shipping_country, subtotal, tax_total, shipping_total, total, line_count,
      payment_provider, payment_reference, paid_total, created_at, updated_at, paid_at)
    overriding system value
    select $18::bigint, $19::bigint, $20, $21, $22, f.id,
      $23::bigint, $24, $25::jsonb,
      $26, $27::numeric, $28::numeric, $29::numeric,
      $30::numeric, $31::bigint, $32, $33,
      $34::numeric, $35::timestamptz, $36::timestamptz,
      $37::timestamptz
    from fulfiller f where exists (select 1 from cart_taken)
    returning id, location_id
  ), new_lines as (
    insert into online_order_line (id, order_id, position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price, tax_rate, net_amount, tax_amount, total_amount)
    overriding system value
    select ids.id, ord.id, t.*
    from ord cross join input t
    join unnest($38::bigint[]) with ordinality as ids(id, n) on ids.n = t.position + 1
    order by t.position
  ), events as (
    -- the history: placed, and paid at once when the provider took the money
    insert into online_order_event (order_id, at, kind, from_status, to_status, actor, detail)
    select ord.id, $39::timestamptz, e.kind, e.from_status, e.to_status, $40,
      jsonb_build_object('paymentProvider', $41::text)
    from ord cross join (values ('placed', null, 'placed', 1), ('paid', 'placed', 'paid', 2)) as e(kind, from_status, to_status, n)
    where e.n = 1 or $42
    order by e.n
  ), stock_input as (
    -- one movement per stock row, summed, so each row is locked and written once
    select t.location_id, t.product_id, sum(t.delta) as delta, min(t.reason) as reason,
      coalesce(bool_or(l.allow_negative_stock), false) as allow_negative
    from (select ord.location_id, t.product_id, -t.base_quantity, 'sale'::text from ord cross join input t) as t(location_id, product_id, delta, reason)
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
    select i.location_id, i.product_id, i.delta, i.reason, $43, $44::bigint
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
    -- per product and quarter hour, in product order, so concurrent sales lock these rows alike
    insert into sales_rollup_product_hour as r (location_id, bucket, channel, product_id, quantity, net_amount, tax_amount,
      total_amount)
    select (select location_id from ord), date_bin('15 minutes', $45::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $46::text, t.product_id,
      sum(t.quantity), sum(t.net_amount), sum(t.tax_amount), sum(t.total_amount)
    from (select product_id, base_quantity, net_amount, tax_amount, total_amount from input) as t(product_id, quantity, net_amount, tax_amount, total_amount)
    cross join (select count(*) from "stock_applied") as earlier_first
    where exists (select 1 from ord)
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
    select (select location_id from ord), date_bin('15 minutes', $47::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $48::text, $49::bigint,
      $50::bigint, $51::bigint, $52::numeric, $53::numeric,
      $54::numeric, $55::numeric
    -- reading the product upserts makes them finish first: the lock order is the same in every statement
    from (select count(*) from sales_rollup_products) as products_first
    where exists (select 1 from ord)
    on conflict (location_id, bucket, channel, shard) do update
      set invoices = r.invoices + excluded.invoices, returns = r.returns + excluded.returns,
        net_amount = r.net_amount + excluded.net_amount, tax_amount = r.tax_amount + excluded.tax_amount,
        total_amount = r.total_amount + excluded.total_amount,
        discount_amount = r.discount_amount + excluded.discount_amount
  )
  select (select count(*) from stale)::integer as stale, (select count(*) from fulfiller)::integer as fulfillers,
    (select count(*) from claim)::integer as claimed, (select count(*) from cart_taken)::integer as cart_taken,
    -- a key claimed for a cart that changed meanwhile: undone, so no response is stored for an order never placed
    case when (select count(*) from claim) > (select count(*) from cart_taken) then brisk_abort($56) else true end
      as claim_ok,
    (select location_id from ord) as location_id, case
when (select count(*) from stock_input) = (select count(*) from stock_applied)
  and not exists (select 1 from stock_applied where quantity < 0) then true
else brisk_refuse_short_stock((
  select jsonb_agg(jsonb_build_object('locationId', location_id, 'productId', product_id,
    'requested', requested::text, 'available', available::text) order by location_id, product_id)
  from stock_short))
end as stock_ok;
