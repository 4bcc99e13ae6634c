-- Generated from src/modules/inventory/inventory.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- applyStockMovements
/* prepared */
  with stock_input as (
    -- one movement per stock row, summed, so each row is locked and written once
    select t.location_id, t.product_id, sum(t.delta) as delta, min(t.reason) as reason,
      coalesce(bool_or(l.allow_negative_stock), false) as allow_negative
    from (select * from unnest($1::bigint[], $2::bigint[],
      $3::numeric[], $4::text[])) as t(location_id, product_id, delta, reason)
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
    select i.location_id, i.product_id, i.delta, i.reason, $5, $6::bigint
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
  select case
when (select count(*) from stock_input) = (select count(*) from stock_applied)
  and not exists (select 1 from stock_applied where quantity < 0) then true
else brisk_refuse_short_stock((
  select jsonb_agg(jsonb_build_object('locationId', location_id, 'productId', product_id,
    'requested', requested::text, 'available', available::text) order by location_id, product_id)
  from stock_short))
end as stock_ok, (
    select json_agg(json_build_object('location_id', i.location_id, 'product_id', i.product_id,
      'delta', i.delta::text, 'new_quantity', a.quantity::text) order by i.location_id, i.product_id)
    from stock_input i join stock_applied a on a.location_id = i.location_id and a.product_id = i.product_id
  ) as moved;

-- findLocation
select * from "location" where "id" = $1;

-- findLocationsByIds
select * from "location" where "id" in ($1, $2);

-- listLocationIds
select "id" from "location" order by "id";

-- insertLocation
insert into "location" ("code", "name", "kind", "allow_negative_stock", "sells_online", "online_priority") values ($1, $2, $3, $4, $5, $6) on conflict ("code") do nothing returning *;

-- updateLocation
update "location" set "name" = $1, "kind" = $2, "allow_negative_stock" = $3 where "id" = $4 returning *;

-- listStockLevels
select "s"."product_id", "p"."sku", "p"."name", "p"."base_unit", "s"."quantity", "s"."updated_at" from "stock_level" as "s" inner join "product" as "p" on "p"."id" = "s"."product_id" where "s"."location_id" = $1 and "s"."product_id" in ($2) and "s"."product_id" > $3 order by "s"."product_id" limit $4;

-- listLedger
select * from "stock_ledger" where "location_id" = $1 and "product_id" = $2 and "reason" = $3 and "id" < $4 order by "id" desc limit $5;

-- sumOnlineStock
select "s"."product_id", sum("s"."quantity") as "quantity" from "stock_level" as "s" inner join "location" as "l" on "l"."id" = "s"."location_id" where "l"."sells_online" = $1 and "s"."product_id" = any($2) group by "s"."product_id";
