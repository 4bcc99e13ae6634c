-- Generated from src/modules/sales/sales.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- lockInvoice
/* prepared */
  select
i.id, i.location_id, i.status, i.note, i.discount_percent, i.discount_amount, i.subtotal,
i.line_discount_total, i.net_total, i.tax_total, i.total, i.paid_total, i.change_due, i.returned_total,
i.line_count, i.created_by, i.created_at, i.updated_at, i.submitted_at, i.cancelled_at,
coalesce((
  select json_agg(json_build_object('id', l.id, 'position', l.position, 'product_id', l.product_id, 'sku', l.sku, 'name', l.name, 'unit', l.unit, 'quantity', l.quantity::text, 'factor', l.factor::text, 'base_quantity', l.base_quantity::text, 'unit_price', l.unit_price::text, 'price_overridden', l.price_overridden, 'tax_rate', l.tax_rate::text, 'gross_amount', l.gross_amount::text, 'discount_percent', l.discount_percent::text, 'discount_amount', l.discount_amount::text, 'invoice_discount_amount', l.invoice_discount_amount::text, 'net_amount', l.net_amount::text, 'tax_amount', l.tax_amount::text, 'total_amount', l.total_amount::text, 'returned_quantity', l.returned_quantity::text, 'returned_net', l.returned_net::text, 'returned_tax', l.returned_tax::text) order by l.position)
  from sales_invoice_line l where l.invoice_id = i.id), '[]') as lines,
coalesce((
  select json_agg(json_build_object('method', p.method, 'amount', p.amount::text, 'tendered', p.tendered::text, 'change', p.change::text, 'reference', p.reference, 'created_at', p.created_at) order by p.id)
  from sales_payment p where p.invoice_id = i.id), '[]') as payments, now() as now from sales_invoice i where i.id = $1 for update of i;

-- lockInvoiceForReturn
/* prepared */
  select
i.id, i.location_id, i.status, i.note, i.discount_percent, i.discount_amount, i.subtotal,
i.line_discount_total, i.net_total, i.tax_total, i.total, i.paid_total, i.change_due, i.returned_total,
i.line_count, i.created_by, i.created_at, i.updated_at, i.submitted_at, i.cancelled_at,
coalesce((
  select json_agg(json_build_object('id', l.id, 'position', l.position, 'product_id', l.product_id, 'sku', l.sku, 'name', l.name, 'unit', l.unit, 'quantity', l.quantity::text, 'factor', l.factor::text, 'base_quantity', l.base_quantity::text, 'unit_price', l.unit_price::text, 'price_overridden', l.price_overridden, 'tax_rate', l.tax_rate::text, 'gross_amount', l.gross_amount::text, 'discount_percent', l.discount_percent::text, 'discount_amount', l.discount_amount::text, 'invoice_discount_amount', l.invoice_discount_amount::text, 'net_amount', l.net_amount::text, 'tax_amount', l.tax_amount::text, 'total_amount', l.total_amount::text, 'returned_quantity', l.returned_quantity::text, 'returned_net', l.returned_net::text, 'returned_tax', l.returned_tax::text) order by l.position)
  from sales_invoice_line l where l.invoice_id = i.id), '[]') as lines,
coalesce((
  select json_agg(json_build_object('method', p.method, 'amount', p.amount::text, 'tendered', p.tendered::text, 'change', p.change::text, 'reference', p.reference, 'created_at', p.created_at) order by p.id)
  from sales_payment p where p.invoice_id = i.id), '[]') as payments,
coalesce((
  select json_agg((json_build_object('id', r.id, 'invoice_id', r.invoice_id, 'location_id', r.location_id, 'reason', r.reason, 'refund_method', r.refund_method, 'net_amount', r.net_amount::text, 'tax_amount', r.tax_amount::text, 'total_amount', r.total_amount::text, 'created_at', r.created_at)::jsonb
|| jsonb_build_object('lines', coalesce((
  select jsonb_agg(json_build_object('invoice_line_id', rl.invoice_line_id, 'product_id', rl.product_id, 'quantity', rl.quantity::text, 'base_quantity', rl.base_quantity::text, 'net_amount', rl.net_amount::text, 'tax_amount', rl.tax_amount::text, 'total_amount', rl.total_amount::text) order by rl.invoice_line_id)
  from sales_return_line rl where rl.return_id = r.id), '[]'))) order by r.id)
  from sales_return r where r.invoice_id = i.id), '[]') as returns, now() as now, nextval(pg_get_serial_sequence('sales_return', 'id')) as return_id
  from sales_invoice i where i.id = $1 for update of i;

-- findInvoice
select
i.id, i.location_id, i.status, i.note, i.discount_percent, i.discount_amount, i.subtotal,
i.line_discount_total, i.net_total, i.tax_total, i.total, i.paid_total, i.change_due, i.returned_total,
i.line_count, i.created_by, i.created_at, i.updated_at, i.submitted_at, i.cancelled_at,
coalesce((
  select json_agg(json_build_object('id', l.id, 'position', l.position, 'product_id', l.product_id, 'sku', l.sku, 'name', l.name, 'unit', l.unit, 'quantity', l.quantity::text, 'factor', l.factor::text, 'base_quantity', l.base_quantity::text, 'unit_price', l.unit_price::text, 'price_overridden', l.price_overridden, 'tax_rate', l.tax_rate::text, 'gross_amount', l.gross_amount::text, 'discount_percent', l.discount_percent::text, 'discount_amount', l.discount_amount::text, 'invoice_discount_amount', l.invoice_discount_amount::text, 'net_amount', l.net_amount::text, 'tax_amount', l.tax_amount::text, 'total_amount', l.total_amount::text, 'returned_quantity', l.returned_quantity::text, 'returned_net', l.returned_net::text, 'returned_tax', l.returned_tax::text) order by l.position)
  from sales_invoice_line l where l.invoice_id = i.id), '[]') as lines,
coalesce((
  select json_agg(json_build_object('method', p.method, 'amount', p.amount::text, 'tendered', p.tendered::text, 'change', p.change::text, 'reference', p.reference, 'created_at', p.created_at) order by p.id)
  from sales_payment p where p.invoice_id = i.id), '[]') as payments,
coalesce((
  select json_agg((json_build_object('id', r.id, 'invoice_id', r.invoice_id, 'location_id', r.location_id, 'reason', r.reason, 'refund_method', r.refund_method, 'net_amount', r.net_amount::text, 'tax_amount', r.tax_amount::text, 'total_amount', r.total_amount::text, 'created_at', r.created_at)::jsonb
|| jsonb_build_object('lines', coalesce((
  select jsonb_agg(json_build_object('invoice_line_id', rl.invoice_line_id, 'product_id', rl.product_id, 'quantity', rl.quantity::text, 'base_quantity', rl.base_quantity::text, 'net_amount', rl.net_amount::text, 'tax_amount', rl.tax_amount::text, 'total_amount', rl.total_amount::text) order by rl.invoice_line_id)
  from sales_return_line rl where rl.return_id = r.id), '[]'))) order by r.id)
  from sales_return r where r.invoice_id = i.id), '[]') as returns from sales_invoice i where i.id = $1;

-- listInvoices
select
i.id, i.location_id, i.status, i.note, i.discount_percent, i.discount_amount, i.subtotal,
i.line_discount_total, i.net_total, i.tax_total, i.total, i.paid_total, i.change_due, i.returned_total,
i.line_count, i.created_by, i.created_at, i.updated_at, i.submitted_at, i.cancelled_at,
coalesce((
  select json_agg(json_build_object('id', l.id, 'position', l.position, 'product_id', l.product_id, 'sku', l.sku, 'name', l.name, 'unit', l.unit, 'quantity', l.quantity::text, 'factor', l.factor::text, 'base_quantity', l.base_quantity::text, 'unit_price', l.unit_price::text, 'price_overridden', l.price_overridden, 'tax_rate', l.tax_rate::text, 'gross_amount', l.gross_amount::text, 'discount_percent', l.discount_percent::text, 'discount_amount', l.discount_amount::text, 'invoice_discount_amount', l.invoice_discount_amount::text, 'net_amount', l.net_amount::text, 'tax_amount', l.tax_amount::text, 'total_amount', l.total_amount::text, 'returned_quantity', l.returned_quantity::text, 'returned_net', l.returned_net::text, 'returned_tax', l.returned_tax::text) order by l.position)
  from sales_invoice_line l where l.invoice_id = i.id), '[]') as lines,
coalesce((
  select json_agg(json_build_object('method', p.method, 'amount', p.amount::text, 'tendered', p.tendered::text, 'change', p.change::text, 'reference', p.reference, 'created_at', p.created_at) order by p.id)
  from sales_payment p where p.invoice_id = i.id), '[]') as payments,
coalesce((
  select json_agg((json_build_object('id', r.id, 'invoice_id', r.invoice_id, 'location_id', r.location_id, 'reason', r.reason, 'refund_method', r.refund_method, 'net_amount', r.net_amount::text, 'tax_amount', r.tax_amount::text, 'total_amount', r.total_amount::text, 'created_at', r.created_at)::jsonb
|| jsonb_build_object('lines', coalesce((
  select jsonb_agg(json_build_object('invoice_line_id', rl.invoice_line_id, 'product_id', rl.product_id, 'quantity', rl.quantity::text, 'base_quantity', rl.base_quantity::text, 'net_amount', rl.net_amount::text, 'tax_amount', rl.tax_amount::text, 'total_amount', rl.total_amount::text) order by rl.invoice_line_id)
  from sales_return_line rl where rl.return_id = r.id), '[]'))) order by r.id)
  from sales_return r where r.invoice_id = i.id), '[]') as returns from sales_invoice i
  where true and i.location_id = any($1::bigint[]) and i.status = $2 and i.created_at >= $3 and i.created_at < $4 and i.id > $5
  order by i.id limit $6;

-- listReturns
select (json_build_object('id', r.id, 'invoice_id', r.invoice_id, 'location_id', r.location_id, 'reason', r.reason, 'refund_method', r.refund_method, 'net_amount', r.net_amount::text, 'tax_amount', r.tax_amount::text, 'total_amount', r.total_amount::text, 'created_at', r.created_at)::jsonb
|| jsonb_build_object('lines', coalesce((
  select jsonb_agg(json_build_object('invoice_line_id', rl.invoice_line_id, 'product_id', rl.product_id, 'quantity', rl.quantity::text, 'base_quantity', rl.base_quantity::text, 'net_amount', rl.net_amount::text, 'tax_amount', rl.tax_amount::text, 'total_amount', rl.total_amount::text) order by rl.invoice_line_id)
  from sales_return_line rl where rl.return_id = r.id), '[]'))) as record from sales_return r
  where true and r.location_id = any($1::bigint[]) and r.created_at >= $2 and r.created_at < $3 and r.id > $4
  order by r.id limit $5;

-- insertInvoice: checkout (draft + paid + submitted in one statement)
/* prepared */
  with input as (
    -- the lines, sent as one array per column
    select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::numeric[], $8::numeric[], $9::numeric[], $10::boolean[], $11::numeric[], $12::numeric[], $13::numeric[], $14::numeric[], $15::numeric[], $16::numeric[], $17::numeric[], $18::numeric[]) as t(position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price, price_overridden, tax_rate, gross_amount, discount_percent, discount_amount, invoice_discount_amount, net_amount, tax_amount, total_amount)
  ), stale as (
    -- lines priced from catalog values that changed since: the write then writes nothing
    select t.position
    from input t
    join unnest($19::bigint[], $20::numeric[]) as c(position, price) on c.position = t.position
    where (
      select p.active and p.sku = t.sku and p.name = t.name and p.price = c.price and p.tax_rate = t.tax_rate
        and case when t.unit = p.base_unit then t.factor = 1 else coalesce((
          select pu.factor = t.factor from product_unit pu where pu.product_id = p.id and pu.unit_code = t.unit
        ), false) end
      from product p where p.id = t.product_id
    ) is not true
  ), inv as (
    -- the invoice, only if the location exists and no line was priced from a changed catalog
    insert into sales_invoice (location_id, status, note, discount_percent, discount_amount, subtotal,
      line_discount_total, net_total, tax_total, total, paid_total, change_due, line_count, created_by, submitted_at)
    select l.id, $21, $22, $23::numeric, $24::numeric,
      $25::numeric, $26::numeric, $27::numeric,
      $28::numeric, $29::numeric, $30::numeric,
      $31::numeric, $32::bigint, $33::bigint,
      now()
    from location l where l.id = $34 and not exists (select 1 from stale)
    returning id, created_at, updated_at, submitted_at
  ), new_lines as (
    -- its lines, in position order so their ids follow the positions
    insert into sales_invoice_line (invoice_id, position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price, price_overridden, tax_rate, gross_amount, discount_percent, discount_amount, invoice_discount_amount, net_amount, tax_amount, total_amount)
    select inv.id, t.* from inv cross join input t
    order by t.position
    returning id, position
  ), new_payments as (
    -- its payments, in the order given
    insert into sales_payment (invoice_id, method, amount, tendered, change, reference)
    select inv.id, p.method, p.amount, p.tendered, p.change, p.reference
    from inv cross join unnest($35::text[], $36::numeric[], $37::numeric[], $38::numeric[], $39::text[]) with ordinality as p(method, amount, tendered, change, reference, n)
    order by p.n
  ), stock_input as (
    -- one movement per stock row, summed, so each row is locked and written once
    select t.location_id, t.product_id, sum(t.delta) as delta, min(t.reason) as reason,
      coalesce(bool_or(l.allow_negative_stock), false) as allow_negative
    from (select $40::bigint, l.product_id, -1 * l.base_quantity, $41::text from (select product_id, base_quantity, net_amount, tax_amount, total_amount from input) as l) as t(location_id, product_id, delta, reason)
    left join location l on l.id = t.location_id
    where exists (select 1 from inv)
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
    select i.location_id, i.product_id, i.delta, i.reason, 'sales_invoice:' || (select id from inv), $42::bigint
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
    select $43::bigint, date_bin('15 minutes', now(), timestamptz '1970-01-01 00:00:00+00'), $44::text, t.product_id,
      sum(t.quantity), sum(t.net_amount), sum(t.tax_amount), sum(t.total_amount)
    from (select l.product_id, 1 * l.base_quantity, 1 * l.net_amount, 1 * l.tax_amount,
      1 * l.total_amount from (select product_id, base_quantity, net_amount, tax_amount, total_amount from input) as l) as t(product_id, quantity, net_amount, tax_amount, total_amount)
    cross join (select count(*) from "stock_applied") as earlier_first
    where exists (select 1 from inv)
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
    select $45::bigint, date_bin('15 minutes', now(), timestamptz '1970-01-01 00:00:00+00'), $46::text, (select id from inv) % $47,
      $48::bigint, $49::bigint, $50::numeric, $51::numeric,
      $52::numeric, $53::numeric
    -- reading the product upserts makes them finish first: the lock order is the same in every statement
    from (select count(*) from sales_rollup_products) as products_first
    where exists (select 1 from inv)
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
end as stock_ok, (select count(*) from stale)::integer as stale, inv.id, inv.created_at, inv.updated_at, inv.submitted_at,
    (select string_agg(id::text, ',' order by position) from new_lines) as line_ids
  from (select 1) as one left join inv on true;

-- insertInvoice: draft
/* prepared */
with input as (
  -- the lines, sent as one array per column
  select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::numeric[], $8::numeric[], $9::numeric[], $10::boolean[], $11::numeric[], $12::numeric[], $13::numeric[], $14::numeric[], $15::numeric[], $16::numeric[], $17::numeric[], $18::numeric[]) as t(position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price, price_overridden, tax_rate, gross_amount, discount_percent, discount_amount, invoice_discount_amount, net_amount, tax_amount, total_amount)
), stale as (
  -- lines priced from catalog values that changed since: the write then writes nothing
  select t.position
  from input t
  join unnest($19::bigint[], $20::numeric[]) as c(position, price) on c.position = t.position
  where (
    select p.active and p.sku = t.sku and p.name = t.name and p.price = c.price and p.tax_rate = t.tax_rate
      and case when t.unit = p.base_unit then t.factor = 1 else coalesce((
        select pu.factor = t.factor from product_unit pu where pu.product_id = p.id and pu.unit_code = t.unit
      ), false) end
    from product p where p.id = t.product_id
  ) is not true
), inv as (
  -- the invoice, only if the location exists and no line was priced from a changed catalog
  insert into sales_invoice (location_id, status, note, discount_percent, discount_amount, subtotal,
    line_discount_total, net_total, tax_total, total, paid_total, change_due, line_count, created_by, submitted_at)
  select l.id, $21, $22, $23::numeric, $24::numeric,
    $25::numeric, $26::numeric, $27::numeric,
    $28::numeric, $29::numeric, $30::numeric,
    $31::numeric, $32::bigint, $33::bigint,
    null
  from location l where l.id = $34 and not exists (select 1 from stale)
  returning id, created_at, updated_at, submitted_at
), new_lines as (
  -- its lines, in position order so their ids follow the positions
  insert into sales_invoice_line (invoice_id, position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price, price_overridden, tax_rate, gross_amount, discount_percent, discount_amount, invoice_discount_amount, net_amount, tax_amount, total_amount)
  select inv.id, t.* from inv cross join input t
  order by t.position
  returning id, position
), new_payments as (
  -- its payments, in the order given
  insert into sales_payment (invoice_id, method, amount, tendered, change, reference)
  select inv.id, p.method, p.amount, p.tendered, p.change, p.reference
  from inv cross join unnest($35::text[], $36::numeric[], $37::numeric[], $38::numeric[], $39::text[]) with ordinality as p(method, amount, tendered, change, reference, n)
  order by p.n
)
select true as stock_ok, (select count(*) from stale)::integer as stale, inv.id, inv.created_at, inv.updated_at, inv.submitted_at,
  (select string_agg(id::text, ',' order by position) from new_lines) as line_ids
from (select 1) as one left join inv on true;

-- updateDraft
with removed as (
  -- lines the edit removes
  delete from sales_invoice_line where invoice_id = $1 and id = any($2::bigint[])
), changed as (
  -- kept lines whose values the edit or the re-pricing changed
  update sales_invoice_line l
  set quantity = u.quantity, base_quantity = u.base_quantity, unit_price = u.unit_price, price_overridden = u.price_overridden, gross_amount = u.gross_amount, discount_percent = u.discount_percent, discount_amount = u.discount_amount, invoice_discount_amount = u.invoice_discount_amount, net_amount = u.net_amount, tax_amount = u.tax_amount, total_amount = u.total_amount
  from unnest($3::bigint[], $4::numeric[], $5::numeric[], $6::numeric[], $7::boolean[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], $12::numeric[], $13::numeric[], $14::numeric[]) as u(id, quantity, base_quantity, unit_price, price_overridden, gross_amount, discount_percent, discount_amount, invoice_discount_amount, net_amount, tax_amount, total_amount)
  where l.id = u.id and l.invoice_id = $15
), added as (
  -- lines the edit adds, after the last position
  insert into sales_invoice_line (invoice_id, position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price, price_overridden, tax_rate, gross_amount, discount_percent, discount_amount, invoice_discount_amount, net_amount, tax_amount, total_amount)
  select $16::bigint, t.* from unnest($17::bigint[], $18::bigint[], $19::text[], $20::text[], $21::text[], $22::numeric[], $23::numeric[], $24::numeric[], $25::numeric[], $26::boolean[], $27::numeric[], $28::numeric[], $29::numeric[], $30::numeric[], $31::numeric[], $32::numeric[], $33::numeric[], $34::numeric[]) as t(position, product_id, sku, name, unit, quantity, factor, base_quantity, unit_price, price_overridden, tax_rate, gross_amount, discount_percent, discount_amount, invoice_discount_amount, net_amount, tax_amount, total_amount)
  order by t.position
  returning id, position
), inv as (
  -- the invoice's totals, re-priced over all its lines
  update sales_invoice
  set note = $35, discount_percent = $36::numeric,
    discount_amount = $37::numeric, subtotal = $38::numeric,
    line_discount_total = $39::numeric, net_total = $40::numeric,
    tax_total = $41::numeric, total = $42::numeric,
    line_count = $43::bigint, updated_at = now()
  where id = $44
)
select coalesce((select json_agg(json_build_object('id', id, 'position', position)) from added), '[]') as lines;

-- updatePayments: pay
/* prepared */
with new_payments as (
  -- the new tenders, in the order given
  insert into sales_payment (invoice_id, method, amount, tendered, change, reference)
  select $1::bigint, p.method, p.amount, p.tendered, p.change, p.reference
  from unnest($2::text[], $3::numeric[], $4::numeric[], $5::numeric[], $6::text[]) with ordinality as p(method, amount, tendered, change, reference, n)
  order by p.n
)
update sales_invoice
set paid_total = $7::numeric, change_due = $8::numeric, updated_at = now()

where id = $9
returning true as stock_ok;

-- updatePayments: submit with an idempotency key
/* prepared */
  with new_payments as (
    -- the new tenders, in the order given
    insert into sales_payment (invoice_id, method, amount, tendered, change, reference)
    select $1::bigint, p.method, p.amount, p.tendered, p.change, p.reference
    from unnest($2::text[], $3::numeric[], $4::numeric[], $5::numeric[], $6::text[]) with ordinality as p(method, amount, tendered, change, reference, n)
    order by p.n
  ), idempotent_response as (
    -- what a retry with the same Idempotency-Key gets back, committed with the write itself
    update idempotency_key set response = $7::jsonb where id = $8
  ), stock_input as (
    -- one movement per stock row, summed, so each row is locked and written once
    select t.location_id, t.product_id, sum(t.delta) as delta, min(t.reason) as reason,
      coalesce(bool_or(l.allow_negative_stock), false) as allow_negative
    from (select $9::bigint, l.product_id, -1 * l.base_quantity, $10::text from (select product_id, base_quantity, net_amount, tax_amount, total_amount from sales_invoice_line where invoice_id = $11) as l) as t(location_id, product_id, delta, reason)
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
    select i.location_id, i.product_id, i.delta, i.reason, $12, $13::bigint
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
    select $14::bigint, date_bin('15 minutes', $15::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $16::text, t.product_id,
      sum(t.quantity), sum(t.net_amount), sum(t.tax_amount), sum(t.total_amount)
    from (select l.product_id, 1 * l.base_quantity, 1 * l.net_amount, 1 * l.tax_amount,
      1 * l.total_amount from (select product_id, base_quantity, net_amount, tax_amount, total_amount from sales_invoice_line where invoice_id = $17) as l) as t(product_id, quantity, net_amount, tax_amount, total_amount)
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
    select $18::bigint, date_bin('15 minutes', $19::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $20::text, $21::bigint,
      $22::bigint, $23::bigint, $24::numeric, $25::numeric,
      $26::numeric, $27::numeric
    -- reading the product upserts makes them finish first: the lock order is the same in every statement
    from (select count(*) from sales_rollup_products) as products_first

    on conflict (location_id, bucket, channel, shard) do update
      set invoices = r.invoices + excluded.invoices, returns = r.returns + excluded.returns,
        net_amount = r.net_amount + excluded.net_amount, tax_amount = r.tax_amount + excluded.tax_amount,
        total_amount = r.total_amount + excluded.total_amount,
        discount_amount = r.discount_amount + excluded.discount_amount
  )
  update sales_invoice
  set paid_total = $28::numeric, change_due = $29::numeric, updated_at = now()
    , status = 'submitted', submitted_at = now()
  where id = $30
  returning case
when (select count(*) from stock_input) = (select count(*) from stock_applied)
  and not exists (select 1 from stock_applied where quantity < 0) then true
else brisk_refuse_short_stock((
  select jsonb_agg(jsonb_build_object('locationId', location_id, 'productId', product_id,
    'requested', requested::text, 'available', available::text) order by location_id, product_id)
  from stock_short))
end as stock_ok;

-- markCancelled: a submitted invoice
/* prepared */
  with noop as (
    -- WITH needs a first CTE; the response and the stock effect that follow are optional
    select 1
  ), stock_input as (
    -- one movement per stock row, summed, so each row is locked and written once
    select t.location_id, t.product_id, sum(t.delta) as delta, min(t.reason) as reason,
      coalesce(bool_or(l.allow_negative_stock), false) as allow_negative
    from (select $1::bigint, l.product_id, 1 * l.base_quantity, $2::text from (select product_id, base_quantity, net_amount, tax_amount, total_amount from sales_invoice_line where invoice_id = $3) as l) as t(location_id, product_id, delta, reason)
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
    select i.location_id, i.product_id, i.delta, i.reason, $4, $5::bigint
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
    select $6::bigint, date_bin('15 minutes', $7::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $8::text, t.product_id,
      sum(t.quantity), sum(t.net_amount), sum(t.tax_amount), sum(t.total_amount)
    from (select l.product_id, -1 * l.base_quantity, -1 * l.net_amount, -1 * l.tax_amount,
      -1 * l.total_amount from (select product_id, base_quantity, net_amount, tax_amount, total_amount from sales_invoice_line where invoice_id = $9) as l) as t(product_id, quantity, net_amount, tax_amount, total_amount)
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
    select $10::bigint, date_bin('15 minutes', $11::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $12::text, $13::bigint,
      $14::bigint, $15::bigint, $16::numeric, $17::numeric,
      $18::numeric, $19::numeric
    -- reading the product upserts makes them finish first: the lock order is the same in every statement
    from (select count(*) from sales_rollup_products) as products_first

    on conflict (location_id, bucket, channel, shard) do update
      set invoices = r.invoices + excluded.invoices, returns = r.returns + excluded.returns,
        net_amount = r.net_amount + excluded.net_amount, tax_amount = r.tax_amount + excluded.tax_amount,
        total_amount = r.total_amount + excluded.total_amount,
        discount_amount = r.discount_amount + excluded.discount_amount
  )
  update sales_invoice set status = 'cancelled', cancelled_at = now(), updated_at = now()
  where id = $20
  returning case
when (select count(*) from stock_input) = (select count(*) from stock_applied)
  and not exists (select 1 from stock_applied where quantity < 0) then true
else brisk_refuse_short_stock((
  select jsonb_agg(jsonb_build_object('locationId', location_id, 'productId', product_id,
    'requested', requested::text, 'available', available::text) order by location_id, product_id)
  from stock_short))
end as stock_ok;

-- insertReturn
/* prepared */
  with ret as (
    -- the return itself, with the id its response already names
    insert into sales_return (id, invoice_id, location_id, reason, refund_method, net_amount, tax_amount, total_amount, token_id)
    overriding system value
    values ($1::bigint, $2, $3, $4, $5,
      $6::numeric, $7::numeric, $8::numeric, $9::bigint)
    returning id, created_at
  ), input as (
    -- the returned lines, sent as one array per column
    select * from unnest($10::bigint[], $11::bigint[], $12::numeric[], $13::numeric[], $14::numeric[], $15::numeric[], $16::numeric[]) as t(invoice_line_id, product_id, quantity, base_quantity, net_amount, tax_amount, total_amount)
  ), return_lines as (
    -- the return's lines, in invoice line order
    insert into sales_return_line (return_id, invoice_line_id, product_id, quantity, base_quantity, net_amount, tax_amount, total_amount)
    select ret.id, t.invoice_line_id, t.product_id, t.quantity, t.base_quantity, t.net_amount, t.tax_amount, t.total_amount
    from ret cross join input t order by t.invoice_line_id
  ), lines as (
    -- what each invoice line has had returned so far, so no later return can exceed what was sold
    update sales_invoice_line l
    set returned_quantity = l.returned_quantity + t.quantity, returned_net = l.returned_net + t.net_amount,
      returned_tax = l.returned_tax + t.tax_amount
    from input t where l.id = t.invoice_line_id and l.invoice_id = $17
  ), inv as (
    -- the invoice's returned total, for its refunds shown with it
    update sales_invoice set returned_total = returned_total + $18::numeric, updated_at = now()
    where id = $19
  ), idempotent_response as (
    -- what a retry with the same Idempotency-Key gets back, committed with the write itself
    update idempotency_key set response = $20::jsonb where id = $21
  ), stock_input as (
    -- one movement per stock row, summed, so each row is locked and written once
    select t.location_id, t.product_id, sum(t.delta) as delta, min(t.reason) as reason,
      coalesce(bool_or(l.allow_negative_stock), false) as allow_negative
    from (select $22::bigint, l.product_id, 1 * l.base_quantity, $23::text from (select product_id, base_quantity, net_amount, tax_amount, total_amount from input) as l) as t(location_id, product_id, delta, reason)
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
    select i.location_id, i.product_id, i.delta, i.reason, $24, $25::bigint
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
    select $26::bigint, date_bin('15 minutes', $27::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $28::text, t.product_id,
      sum(t.quantity), sum(t.net_amount), sum(t.tax_amount), sum(t.total_amount)
    from (select l.product_id, -1 * l.base_quantity, -1 * l.net_amount, -1 * l.tax_amount,
      -1 * l.total_amount from (select product_id, base_quantity, net_amount, tax_amount, total_amount from input) as l) as t(product_id, quantity, net_amount, tax_amount, total_amount)
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
    select $29::bigint, date_bin('15 minutes', $30::timestamptz, timestamptz '1970-01-01 00:00:00+00'), $31::text, $32::bigint,
      $33::bigint, $34::bigint, $35::numeric, $36::numeric,
      $37::numeric, $38::numeric
    -- reading the product upserts makes them finish first: the lock order is the same in every statement
    from (select count(*) from sales_rollup_products) as products_first

    on conflict (location_id, bucket, channel, shard) do update
      set invoices = r.invoices + excluded.invoices, returns = r.returns + excluded.returns,
        net_amount = r.net_amount + excluded.net_amount, tax_amount = r.tax_amount + excluded.tax_amount,
        total_amount = r.total_amount + excluded.total_amount,
        discount_amount = r.discount_amount + excluded.discount_amount
  )
  select id, created_at, case
when (select count(*) from stock_input) = (select count(*) from stock_applied)
  and not exists (select 1 from stock_applied where quantity < 0) then true
else brisk_refuse_short_stock((
  select jsonb_agg(jsonb_build_object('locationId', location_id, 'productId', product_id,
    'requested', requested::text, 'available', available::text) order by location_id, product_id)
  from stock_short))
end as stock_ok from ret;
