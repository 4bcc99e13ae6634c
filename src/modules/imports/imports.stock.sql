-- Generated from src/modules/imports/imports.stock.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- stockKind.checkOptions
select "id", "code" from "location" where "code" = $1;

-- stockKind.chunkCtes
with stock_count_input as (
    select * from unnest($1::int[], $2::text[],
      $3::numeric[], $4::text[]) as t(line, sku, quantity, unit)
  ), stock_counted as (
    select c.line, c.sku, c.unit, p.id as product_id,
      case when c.unit is null or c.unit = p.base_unit then c.quantity else c.quantity * pu.factor end as base_quantity
    from stock_count_input c
    left join product p on p.sku = c.sku
    left join product_unit pu on pu.product_id = p.id and pu.unit_code = c.unit
  ), stock_count_latest as (
    -- a SKU counted twice in one chunk: its last line is the count
    select distinct on (product_id) product_id, base_quantity
    from stock_counted where product_id is not null and base_quantity is not null
    order by product_id, line desc
  ), stock_count_moves as (
    select $5::bigint as location_id, l.product_id, l.base_quantity - coalesce(s.quantity, 0) as delta, 'count'::text as reason
    from stock_count_latest l
    left join stock_level s on s.location_id = $6 and s.product_id = l.product_id
  ), stock_input as (
    -- one movement per stock row, summed, so each row is locked and written once
    select t.location_id, t.product_id, sum(t.delta) as delta, min(t.reason) as reason,
      coalesce(bool_or(l.allow_negative_stock), false) as allow_negative
    from (select location_id, product_id, delta, reason from stock_count_moves) as t(location_id, product_id, delta, reason)
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
    select i.location_id, i.product_id, i.delta, i.reason, $7, $8::bigint
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
  )
  , chunk_outcome as (
    select case
when (select count(*) from stock_input) = (select count(*) from stock_applied)
  and not exists (select 1 from stock_applied where quantity < 0) then true
else brisk_refuse_short_stock((
  select jsonb_agg(jsonb_build_object('locationId', location_id, 'productId', product_id,
    'requested', requested::text, 'available', available::text) order by location_id, product_id)
  from stock_short))
end as accepted, (select count(*) from stock_applied)::int as written,
    (select json_agg(distinct product_id) from stock_applied) as moved_products,
    (select json_agg(json_build_object(
        'line', line,
        'field', case when product_id is null then 'sku' else 'unit' end,
        'message', case when product_id is null then 'no product with SKU ' || sku
          else 'unit ' || unit || ' has no conversion for SKU ' || sku end) order by line)
      from stock_counted where product_id is null or base_quantity is null) as rejects
  ), run_advanced as (
    update import_run set rows_committed = rows_committed + $9,
      rows_written = rows_written + (select written from chunk_outcome),
      rows_rejected = rows_rejected + $10 + coalesce(json_array_length((select rejects from chunk_outcome)), 0),
      chunks = chunks + 1, status = $11, updated_at = now()
    where id = $12 and rows_committed = $13
    returning 1
  )
  select o.*, (select brisk_abort($14) where not exists (select 1 from run_advanced)) as run_moved
  from chunk_outcome o;
