-- Generated from src/modules/orders/orders.lifecycle.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- lockOrder: a change, staff of every location
/* prepared */
  select
o.id, o.source, o.external_ref, o.customer_id, o.email, o.status, o.location_id, o.shipping_method_id,
o.shipping_method_name, o.shipping_address, o.shipping_country, o.subtotal, o.tax_total, o.shipping_total, o.total,
o.line_count, o.payment_provider, o.payment_reference, o.paid_total, o.refunded_total, o.tracking_reference,
o.created_at, o.updated_at, o.paid_at, o.fulfilled_at, o.completed_at, o.cancelled_at,
coalesce((
  select json_agg(json_build_object('id', l.id, 'position', l.position, 'product_id', l.product_id, 'sku', l.sku, 'name', l.name, 'unit', l.unit, 'quantity', l.quantity::text, 'factor', l.factor::text, 'base_quantity', l.base_quantity::text, 'unit_price', l.unit_price::text, 'tax_rate', l.tax_rate::text, 'net_amount', l.net_amount::text, 'tax_amount', l.tax_amount::text, 'total_amount', l.total_amount::text, 'returned_quantity', l.returned_quantity::text, 'returned_net', l.returned_net::text, 'returned_tax', l.returned_tax::text) order by l.position)
  from online_order_line l where l.order_id = o.id), '[]') as lines,
coalesce((
  select json_agg(json_build_object('id', r.id, 'location_id', r.location_id, 'reason', r.reason, 'net_amount', r.net_amount::text, 'tax_amount', r.tax_amount::text, 'total_amount', r.total_amount::text, 'token_id', r.token_id, 'created_at', r.created_at)::jsonb || jsonb_build_object('lines', coalesce((
      select jsonb_agg(json_build_object('order_line_id', rl.order_line_id, 'product_id', rl.product_id, 'quantity', rl.quantity::text, 'base_quantity', rl.base_quantity::text, 'net_amount', rl.net_amount::text, 'tax_amount', rl.tax_amount::text, 'total_amount', rl.total_amount::text) order by rl.order_line_id)
      from online_order_return_line rl where rl.return_id = r.id), '[]')) order by r.id)
  from online_order_return r where r.order_id = o.id), '[]') as returns, coalesce((
  select json_agg(json_build_object('at', e.at, 'kind', e.kind, 'from_status', e.from_status,
    'to_status', e.to_status, 'actor', e.actor, 'detail', e.detail) order by e.id)
  from online_order_event e where e.order_id = o.id), '[]') as history, now() as now, null::bigint as return_id, null::boolean as return_location_exists
  from online_order o where o.id = $1 and true for update of o;

-- lockOrder: a return, staff of some locations
/* prepared */
  select
o.id, o.source, o.external_ref, o.customer_id, o.email, o.status, o.location_id, o.shipping_method_id,
o.shipping_method_name, o.shipping_address, o.shipping_country, o.subtotal, o.tax_total, o.shipping_total, o.total,
o.line_count, o.payment_provider, o.payment_reference, o.paid_total, o.refunded_total, o.tracking_reference,
o.created_at, o.updated_at, o.paid_at, o.fulfilled_at, o.completed_at, o.cancelled_at,
coalesce((
  select json_agg(json_build_object('id', l.id, 'position', l.position, 'product_id', l.product_id, 'sku', l.sku, 'name', l.name, 'unit', l.unit, 'quantity', l.quantity::text, 'factor', l.factor::text, 'base_quantity', l.base_quantity::text, 'unit_price', l.unit_price::text, 'tax_rate', l.tax_rate::text, 'net_amount', l.net_amount::text, 'tax_amount', l.tax_amount::text, 'total_amount', l.total_amount::text, 'returned_quantity', l.returned_quantity::text, 'returned_net', l.returned_net::text, 'returned_tax', l.returned_tax::text) order by l.position)
  from online_order_line l where l.order_id = o.id), '[]') as lines,
coalesce((
  select json_agg(json_build_object('id', r.id, 'location_id', r.location_id, 'reason', r.reason, 'net_amount', r.net_amount::text, 'tax_amount', r.tax_amount::text, 'total_amount', r.total_amount::text, 'token_id', r.token_id, 'created_at', r.created_at)::jsonb || jsonb_build_object('lines', coalesce((
      select jsonb_agg(json_build_object('order_line_id', rl.order_line_id, 'product_id', rl.product_id, 'quantity', rl.quantity::text, 'base_quantity', rl.base_quantity::text, 'net_amount', rl.net_amount::text, 'tax_amount', rl.tax_amount::text, 'total_amount', rl.total_amount::text) order by rl.order_line_id)
      from online_order_return_line rl where rl.return_id = r.id), '[]')) order by r.id)
  from online_order_return r where r.order_id = o.id), '[]') as returns, coalesce((
  select json_agg(json_build_object('at', e.at, 'kind', e.kind, 'from_status', e.from_status,
    'to_status', e.to_status, 'actor', e.actor, 'detail', e.detail) order by e.id)
  from online_order_event e where e.order_id = o.id), '[]') as history, now() as now, nextval(pg_get_serial_sequence('online_order_return', 'id')) as return_id,
      exists (select 1 from location where id = coalesce($1::bigint, o.location_id)) as return_location_exists
  from online_order o where o.id = $2 and o.location_id = any($3::bigint[]) for update of o;

-- findOrderWithHistory
select
o.id, o.source, o.external_ref, o.customer_id, o.email, o.status, o.location_id, o.shipping_method_id,
o.shipping_method_name, o.shipping_address, o.shipping_country, o.subtotal, o.tax_total, o.shipping_total, o.total,
o.line_count, o.payment_provider, o.payment_reference, o.paid_total, o.refunded_total, o.tracking_reference,
o.created_at, o.updated_at, o.paid_at, o.fulfilled_at, o.completed_at, o.cancelled_at,
coalesce((
  select json_agg(json_build_object('id', l.id, 'position', l.position, 'product_id', l.product_id, 'sku', l.sku, 'name', l.name, 'unit', l.unit, 'quantity', l.quantity::text, 'factor', l.factor::text, 'base_quantity', l.base_quantity::text, 'unit_price', l.unit_price::text, 'tax_rate', l.tax_rate::text, 'net_amount', l.net_amount::text, 'tax_amount', l.tax_amount::text, 'total_amount', l.total_amount::text, 'returned_quantity', l.returned_quantity::text, 'returned_net', l.returned_net::text, 'returned_tax', l.returned_tax::text) order by l.position)
  from online_order_line l where l.order_id = o.id), '[]') as lines,
coalesce((
  select json_agg(json_build_object('id', r.id, 'location_id', r.location_id, 'reason', r.reason, 'net_amount', r.net_amount::text, 'tax_amount', r.tax_amount::text, 'total_amount', r.total_amount::text, 'token_id', r.token_id, 'created_at', r.created_at)::jsonb || jsonb_build_object('lines', coalesce((
      select jsonb_agg(json_build_object('order_line_id', rl.order_line_id, 'product_id', rl.product_id, 'quantity', rl.quantity::text, 'base_quantity', rl.base_quantity::text, 'net_amount', rl.net_amount::text, 'tax_amount', rl.tax_amount::text, 'total_amount', rl.total_amount::text) order by rl.order_line_id)
      from online_order_return_line rl where rl.return_id = r.id), '[]')) order by r.id)
  from online_order_return r where r.order_id = o.id), '[]') as returns, coalesce((
  select json_agg(json_build_object('at', e.at, 'kind', e.kind, 'from_status', e.from_status,
    'to_status', e.to_status, 'actor', e.actor, 'detail', e.detail) order by e.id)
  from online_order_event e where e.order_id = o.id), '[]') as history from online_order o where o.id = $1 and o.location_id = any($2::bigint[]);

-- changeOrder: pay, with a stored response
/* prepared */
with event as (
  insert into online_order_event (order_id, at, kind, from_status, to_status, actor, detail)
  values ($1::bigint, $2::timestamptz, $3, $4, $5, $6,
    $7::jsonb)
), idempotent_response as (
  -- what a retry with the same Idempotency-Key gets back, committed with the write itself
  update idempotency_key set response = $8::jsonb where id = $9
)
update online_order set status = $10, updated_at = $11::timestamptz, "paid_at" = $12::timestamptz, paid_total = $13::numeric
where id = $14
returning true as stock_ok;

-- changeOrder: cancel
/* prepared */
  with event as (
    insert into online_order_event (order_id, at, kind, from_status, to_status, actor, detail)
    values ($1::bigint, $2::timestamptz, $3, $4, $5, $6,
      $7::jsonb)
  ), stock_input as (
    -- one movement per stock row, summed, so each row is locked and written once
    select t.location_id, t.product_id, sum(t.delta) as delta, min(t.reason) as reason,
      coalesce(bool_or(l.allow_negative_stock), false) as allow_negative
    from (select $8::bigint, l.product_id, l.base_quantity, 'cancel'::text from (select product_id, base_quantity, net_amount, tax_amount, total_amount from online_order_line where order_id = $9) as l) as t(location_id, product_id, delta, reason)
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
    select i.location_id, i.product_id, i.delta, i.reason, $10, $11::bigint
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
    select $12::bigint, date_bin('15 minutes', $13::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $14::text, t.product_id,
      sum(t.quantity), sum(t.net_amount), sum(t.tax_amount), sum(t.total_amount)
    from (select l.product_id, -l.base_quantity, -l.net_amount, -l.tax_amount, -l.total_amount from (select product_id, base_quantity, net_amount, tax_amount, total_amount from online_order_line where order_id = $15) as l) as t(product_id, quantity, net_amount, tax_amount, total_amount)
    cross join (select count(*) from "stock_applied") as earlier_first

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
    select $16::bigint, date_bin('15 minutes', $17::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $18::text, $19::bigint,
      $20::bigint, $21::bigint, $22::numeric, $23::numeric,
      $24::numeric, $25::numeric
    -- reading the product upserts makes them finish first: the lock order is the same in every statement
    from (select count(*) from sales_rollup_products) as products_first

    on conflict (location_id, bucket, channel, shard) do update
      set invoices = r.invoices + excluded.invoices, returns = r.returns + excluded.returns,
        net_amount = r.net_amount + excluded.net_amount, tax_amount = r.tax_amount + excluded.tax_amount,
        total_amount = r.total_amount + excluded.total_amount,
        discount_amount = r.discount_amount + excluded.discount_amount
  )
  update online_order set status = $26, updated_at = $27::timestamptz, "cancelled_at" = $28::timestamptz, refunded_total = $29::numeric
  where id = $30
  returning case
when (select count(*) from stock_input) = (select count(*) from stock_applied)
  and not exists (select 1 from stock_applied where quantity < 0) then true
else brisk_refuse_short_stock((
  select jsonb_agg(jsonb_build_object('locationId', location_id, 'productId', product_id,
    'requested', requested::text, 'available', available::text) order by location_id, product_id)
  from stock_short))
end as stock_ok;

-- insertOrderReturn
/* prepared */
  with ret as (
    -- the return itself, with the id its response already names
    insert into online_order_return (id, order_id, location_id, reason, net_amount, tax_amount, total_amount, token_id, created_at)
    overriding system value
    values ($1::bigint, $2::bigint, $3::bigint, $4,
      $5::numeric, $6::numeric, $7::numeric, $8::bigint,
      $9::timestamptz)
    returning id
  ), input as (
    -- the returned lines, sent as one array per column
    select * from unnest($10::bigint[], $11::bigint[], $12::numeric[], $13::numeric[], $14::numeric[], $15::numeric[], $16::numeric[]) as t(order_line_id, product_id, quantity, base_quantity, net_amount, tax_amount, total_amount)
  ), return_lines as (
    insert into online_order_return_line (return_id, order_line_id, product_id, quantity, base_quantity, net_amount, tax_amount, total_amount)
    select ret.id, t.order_line_id, t.product_id, t.quantity, t.base_quantity, t.net_amount, t.tax_amount, t.total_amount
    from ret cross join input t order by t.order_line_id
  ), lines as (
    -- what each line has had returned so far: its CHECK refuses more than was ordered
    update online_order_line l
    set returned_quantity = l.returned_quantity + t.quantity, returned_net = l.returned_net + t.net_amount,
      returned_tax = l.returned_tax + t.tax_amount
    from input t where l.id = t.order_line_id and l.order_id = $17
  ), ord as (
    -- the refund: its CHECK refuses more than was paid
    update online_order set refunded_total = refunded_total + $18::numeric, updated_at = $19::timestamptz
    where id = $20
  ), event as (
    insert into online_order_event (order_id, at, kind, from_status, to_status, actor, detail)
    values ($21::bigint, $22::timestamptz, $23, $24, $25, $26,
      $27::jsonb)
  ), idempotent_response as (
    -- what a retry with the same Idempotency-Key gets back, committed with the write itself
    update idempotency_key set response = $28::jsonb where id = $29
  ), stock_input as (
    -- one movement per stock row, summed, so each row is locked and written once
    select t.location_id, t.product_id, sum(t.delta) as delta, min(t.reason) as reason,
      coalesce(bool_or(l.allow_negative_stock), false) as allow_negative
    from (select $30::bigint, t.product_id, t.base_quantity, 'return'::text from input t) as t(location_id, product_id, delta, reason)
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
    select i.location_id, i.product_id, i.delta, i.reason, $31, $32::bigint
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
    select $33::bigint, date_bin('15 minutes', $34::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $35::text, t.product_id,
      sum(t.quantity), sum(t.net_amount), sum(t.tax_amount), sum(t.total_amount)
    from (select l.product_id, -l.base_quantity, -l.net_amount, -l.tax_amount, -l.total_amount from (select product_id, base_quantity, net_amount, tax_amount, total_amount from input) as l) as t(product_id, quantity, net_amount, tax_amount, total_amount)
    cross join (select count(*) from "stock_applied") as earlier_first

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
    select $36::bigint, date_bin('15 minutes', $37::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $38::text, $39::bigint,
      $40::bigint, $41::bigint, $42::numeric, $43::numeric,
      $44::numeric, $45::numeric
    -- reading the product upserts makes them finish first: the lock order is the same in every statement
    from (select count(*) from sales_rollup_products) as products_first

    on conflict (location_id, bucket, channel, shard) do update
      set invoices = r.invoices + excluded.invoices, returns = r.returns + excluded.returns,
        net_amount = r.net_amount + excluded.net_amount, tax_amount = r.tax_amount + excluded.tax_amount,
        total_amount = r.total_amount + excluded.total_amount,
        discount_amount = r.discount_amount + excluded.discount_amount
  )
  select case
when (select count(*) from stock_input) = (select count(*) from stock_applied)
  and not exists (select 1 from stock_applied where quantity < 0) then true
else brisk_refuse_short_stock((
  select jsonb_agg(jsonb_build_object('locationId', location_id, 'productId', product_id,
    'requested', requested::text, 'available', available::text) order by location_id, product_id)
  from stock_short))
end as stock_ok from ret;
