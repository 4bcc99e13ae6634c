-- Generated from src/modules/catalog/catalog.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- listUnits
select * from "unit" order by "code";

-- insertUnit
insert into "unit" ("code", "name") values ($1, $2) on conflict ("code") do nothing returning *;

-- findUnitCodes
select "code" from "unit" where "code" = any($1);

-- listCategories
select * from "category" order by "id";

-- findCategory
select * from "category" where "id" = $1;

-- insertCategory
insert into "category" ("name", "parent_id") values ($1, $2) on conflict on constraint "category_name_unique" do nothing returning *;

-- insertMissingCategories
insert into category (name)
select name from unnest($1::text[]) as t(name)
on conflict on constraint category_name_unique do nothing
returning id, name;

-- findProductDocs
select "p".*, "c"."name" as "category_name", "c"."parent_id" as "category_parent_id", "c"."created_at" as "category_created_at", (select coalesce(json_agg(agg), '[]') from (select "pu"."unit_code" as "unit", pu.factor::text as "factor", "pu"."barcode" from "product_unit" as "pu" where "pu"."product_id" = "p"."id" order by "pu"."unit_code") as agg) as "units" from "product" as "p" left join "category" as "c" on "c"."id" = "p"."category_id" where ("p"."id" = any($1) or "p"."sku" = any($2)) order by "p"."id";

-- findCategoriesByIds
select * from "category" where "id" = any($1) order by "id";

-- listProductIds
select "p"."id" from "product" as "p" where "p"."id" > $1 and "p"."category_id" = $2 and "p"."active" = $3 and ("p"."name" ilike $4 or "p"."sku" ilike $5) order by "p"."id" limit $6;

-- findProductsByCodes
select c.code, m.product_id, m.unit_code, m.matched
from unnest($1::text[]) as c(code)
join lateral (
  select product_id, unit_code, matched from (
    select id as product_id, null::text as unit_code, 'barcode' as matched, 1 as rank from product where barcode = c.code
    union all
    select product_id, unit_code, 'unit_barcode', 2 from product_unit where barcode = c.code
    union all
    select id, null, 'sku', 3 from product where sku = c.code
  ) ranked
  order by rank
  limit 1
) m on true;

-- lockProduct
select "id", "base_unit", "sku", "barcode" from "product" where "id" = $1 for update;

-- findBulkReferences
select
    array(select code from unit where code = any($1::text[])) as units,
    (select coalesce(json_agg(p), '[]') from (
select p.id, p.sku, p.base_unit
from unnest($2::text[]) as s(sku)
join lateral (select id, sku, base_unit from product where sku = s.sku limit 1) p on true) p) as products,
    (select coalesce(json_agg(o), '[]') from (
select b.barcode, o.product_id, o.sku, o.unit_code
from unnest($3::text[]) as b(barcode)
cross join lateral (
  (select id as product_id, sku, null::text as unit_code from product where barcode = b.barcode limit 1)
  union all
  (select pu.product_id, p.sku, pu.unit_code from product_unit pu join product p on p.id = pu.product_id
   where pu.barcode = b.barcode limit 1)
) o) o) as owners;

-- findBarcodeOwners
select b.barcode, o.product_id, o.sku, o.unit_code
from unnest($1::text[]) as b(barcode)
cross join lateral (
  (select id as product_id, sku, null::text as unit_code from product where barcode = b.barcode limit 1)
  union all
  (select pu.product_id, p.sku, pu.unit_code from product_unit pu join product p on p.id = pu.product_id
   where pu.barcode = b.barcode limit 1)
) o;

-- insertProduct
insert into "product" ("sku", "barcode", "name", "description", "category_id", "base_unit", "price", "tax_rate", "active") values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning "id";

-- updateProduct
update "product" set "name" = $1, "price" = $2, "updated_at" = now() where "id" = $3;

-- upsertProducts
with input as (
  select * from unnest(
    $1::text[],
    $2::bool[],
    $3::text[],
    $4::text[],
    $5::text[],
    $6::bool[],
    $7::text[],
    $8::text[],
    $9::numeric[],
    $10::numeric[],
    $11::bool[],
    $12::bool[]
  ) as t(sku, set_barcode, barcode, name, description, set_category, category, base_unit, price, tax_rate, active, set_units)
),
written as (
  insert into product as p (sku, barcode, name, description, category_id, base_unit, price, tax_rate, active)
  select i.sku,
    case when i.set_barcode then i.barcode else cur.barcode end,
    i.name,
    coalesce(i.description, cur.description, ''),
    case when i.set_category then c.id else cur.category_id end,
    i.base_unit,
    i.price,
    coalesce(i.tax_rate, cur.tax_rate, 0),
    coalesce(i.active, cur.active, true)
  from input i
  left join lateral (
    select barcode, description, category_id, tax_rate, active from product where sku = i.sku limit 1
  ) cur on true
  left join category c on c.name = i.category
  on conflict on constraint product_sku_unique do update set
    barcode = excluded.barcode,
    name = excluded.name,
    description = excluded.description,
    category_id = excluded.category_id,
    base_unit = excluded.base_unit,
    price = excluded.price,
    tax_rate = excluded.tax_rate,
    active = excluded.active,
    updated_at = now()
  returning p.id, p.sku, (p.xmax = 0) as inserted
),
unit_input as (
  select w.id as product_id, w.inserted, u.unit_code, u.factor, u.barcode
  from unnest(
    $13::text[],
    $14::text[],
    $15::numeric[],
    $16::text[]
  ) as u(sku, unit_code, factor, barcode)
  join written w on w.sku = u.sku
),
removed as (
  delete from product_unit pu
  where pu.product_id = any(array(
    select w.id from written w join input i on i.sku = w.sku where i.set_units and not w.inserted
  ))
    and not exists (select 1 from unit_input u where u.product_id = pu.product_id and u.unit_code = pu.unit_code)
  returning 1
),
fresh as (
  insert into product_unit (product_id, unit_code, factor, barcode)
  select product_id, unit_code, factor, barcode from unit_input
  where inserted and (select count(*) from removed) >= 0
),
changed as (
  insert into product_unit as pu (product_id, unit_code, factor, barcode)
  select product_id, unit_code, factor, barcode from unit_input
  where not inserted and (select count(*) from removed) >= 0
  on conflict (product_id, unit_code) do update set factor = excluded.factor, barcode = excluded.barcode
  where (pu.factor, pu.barcode) is distinct from (excluded.factor, excluded.barcode)
)
select id, sku, inserted from written;

-- replaceProductUnits
with input as (
  select * from unnest(
    $1::bigint[],
    $2::text[],
    $3::numeric[],
    $4::text[]
  ) as t(product_id, unit_code, factor, barcode)
),
removed as (
  delete from product_unit pu
  where pu.product_id = any($5::bigint[])
    and not exists (select 1 from input i where i.product_id = pu.product_id and i.unit_code = pu.unit_code)
  returning 1
)
insert into product_unit as pu (product_id, unit_code, factor, barcode)
select product_id, unit_code, factor, barcode from input
where (select count(*) from removed) >= 0
on conflict (product_id, unit_code) do update set factor = excluded.factor, barcode = excluded.barcode
where (pu.factor, pu.barcode) is distinct from (excluded.factor, excluded.barcode);
