-- Generated from src/modules/orders/orders.read.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- findOrder: a customer
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
  from online_order_return r where r.order_id = o.id), '[]') as returns from online_order o where o.id = $1 and o.customer_id = $2;

-- findOrder: a guest
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
  from online_order_return r where r.order_id = o.id), '[]') as returns from online_order o where o.id = $1 and o.access_token_hash = $2;

-- findOrder: staff of some locations
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
  from online_order_return r where r.order_id = o.id), '[]') as returns from online_order o where o.id = $1 and o.location_id = any($2::bigint[]);

-- listOrders: staff of every location
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
  from online_order_return r where r.order_id = o.id), '[]') as returns from online_order o
  where true and o.status = $1 and o.created_at >= $2 and o.created_at < $3 and o.id < $4
  order by o.id desc limit $5;
