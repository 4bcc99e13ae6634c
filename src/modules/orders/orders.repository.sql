-- Generated from src/modules/orders/orders.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- insertGuestCart
insert into "cart" ("token_hash", "expires_at") values ($1, $2) returning "id", "expires_at", "updated_at";

-- insertGuestCartWithLines
/* prepared */
with c as (
  insert into cart (token_hash, expires_at) values ($1, $2) returning id, expires_at, updated_at
), l as (
  insert into cart_line (cart_id, product_id, unit, quantity)
  select c.id, a.product_id, a.unit, a.quantity from c cross join unnest($3::bigint[], $4::text[], $5::numeric[]) with ordinality as a(product_id, unit, quantity, n)
  order by a.n
  returning id, product_id, unit, quantity
)
select c.id, c.expires_at, c.updated_at,
  coalesce((select json_agg(json_build_object('id', l.id, 'product_id', l.product_id, 'unit', l.unit, 'quantity', l.quantity::text)
    order by l.id) from l), '[]') as lines
from c;

-- upsertCustomerCart
insert into "cart" ("customer_id", "expires_at") values ($1, $2) on conflict ("customer_id") where "customer_id" is not null do update set "expires_at" = $3, "updated_at" = now() returning "id", "expires_at", "updated_at";

-- deleteExpiredCustomerCart
delete from "cart" where "customer_id" = $1 and "expires_at" <= now();

-- touchCart: a guest
update "cart" set "expires_at" = $1, "updated_at" = now() where "token_hash" = $2 and "expires_at" > now() returning "id", "expires_at", "updated_at";

-- touchCart: a customer
update "cart" set "expires_at" = $1, "updated_at" = now() where "customer_id" = $2 and "expires_at" > now() returning "id", "expires_at", "updated_at";

-- findCartWithLines: a guest
select "c"."id", "c"."expires_at", "c"."updated_at", "l"."id" as "line_id", "l"."product_id", "l"."unit", "l"."quantity" from "cart" as "c" left join "cart_line" as "l" on "l"."cart_id" = "c"."id" where "c"."token_hash" = $1 and "c"."expires_at" > now() order by "l"."id";

-- findCartWithLines: a customer
select "c"."id", "c"."expires_at", "c"."updated_at", "l"."id" as "line_id", "l"."product_id", "l"."unit", "l"."quantity" from "cart" as "c" left join "cart_line" as "l" on "l"."cart_id" = "c"."id" where "c"."customer_id" = $1 and "c"."expires_at" > now() order by "l"."id";

-- listCartLines
select "id", "product_id", "unit", "quantity" from "cart_line" where "cart_id" = $1 order by "id";

-- removeCartLines
delete from "cart_line" where "cart_id" = $1 and "id" = any($2::bigint[]) returning "id";

-- changeCartLineQuantities
update cart_line l set quantity = c.quantity
from unnest($1::bigint[], $2::numeric[]) as c(id, quantity)
where l.id = c.id and l.cart_id = $3
returning l.id;

-- addCartLines
insert into cart_line (cart_id, product_id, unit, quantity)
select $1::bigint, a.product_id, a.unit, a.quantity
from unnest($2::bigint[], $3::text[], $4::numeric[]) as a(product_id, unit, quantity)
on conflict (cart_id, product_id, unit) do update set quantity = cart_line.quantity + excluded.quantity;

-- deleteAllCartLines
delete from "cart_line" where "cart_id" = $1;

-- mergeCartInto
with moved as (
  insert into cart_line (cart_id, product_id, unit, quantity)
  select $1::bigint, product_id, unit, quantity from cart_line where cart_id = $2
  on conflict (cart_id, product_id, unit) do update set quantity = cart_line.quantity + excluded.quantity
)
delete from cart where id = $3;

-- deleteExpiredCarts
delete from cart
where id in (select id from cart where expires_at <= now() order by expires_at limit $1 for update skip locked)
  and expires_at <= now();

-- listShippingMethodsWithRates: all
select "m"."id", "m"."code", "m"."name", "m"."active", "m"."position", "m"."created_at", "m"."updated_at", "r"."country", "r"."price", "r"."free_over" from "shipping_method" as "m" left join "shipping_rate" as "r" on "r"."shipping_method_id" = "m"."id" order by "m"."position", "m"."id", "r"."country";

-- listShippingMethodsWithRates: one
select "m"."id", "m"."code", "m"."name", "m"."active", "m"."position", "m"."created_at", "m"."updated_at", "r"."country", "r"."price", "r"."free_over" from "shipping_method" as "m" left join "shipping_rate" as "r" on "r"."shipping_method_id" = "m"."id" where "m"."id" = $1 order by "m"."position", "m"."id", "r"."country";

-- insertShippingMethod
with m as (
  insert into shipping_method (code, name, active, position)
  values ($1, $2, $3, $4)
  on conflict (code) do nothing
  returning id, code, name, active, position, created_at, updated_at
), rates as (
  insert into shipping_rate (shipping_method_id, country, price, free_over)
  select m.id, r.country, r.price, r.free_over from m cross join unnest($5::text[], $6::numeric[], $7::numeric[]) as r(country, price, free_over)
)
select * from m;

-- updateShippingMethod
update "shipping_method" set "name" = $1, "active" = $2, "position" = $3, "updated_at" = now() where "id" = $4 returning "id", "code", "name", "active", "position", "created_at", "updated_at";

-- replaceShippingRates
with gone as (
  delete from shipping_rate where shipping_method_id = $1 and country <> all($2::text[])
)
insert into shipping_rate (shipping_method_id, country, price, free_over)
select $3::bigint, r.country, r.price, r.free_over from unnest($4::text[], $5::numeric[], $6::numeric[]) as r(country, price, free_over)
on conflict (shipping_method_id, country) do update set price = excluded.price, free_over = excluded.free_over;

-- findShippingRatesForCountry
select m.code, m.name, r.price, r.free_over
from shipping_method m
join lateral (
  select price, free_over from shipping_rate
  where shipping_method_id = m.id and country in ($1, '*')
  order by country = '*' limit 1
) r on true
where m.active
order by m.position, m.id;
