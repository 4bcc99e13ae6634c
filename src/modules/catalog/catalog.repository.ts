import { sql, type Transaction } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/postgres'
import type { Database, Executor } from '../../infra/db/database.ts'

export function listUnits(db: Executor) {
  return db.selectFrom('unit').selectAll().orderBy('code').execute()
}

export function insertUnit(db: Executor, values: { code: string; name: string }) {
  return db
    .insertInto('unit')
    .values(values)
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst()
}

export async function findUnitCodes(db: Executor, codes: readonly string[]): Promise<Set<string>> {
  if (codes.length === 0) return new Set()
  const rows = await db
    .selectFrom('unit')
    .select('code')
    .where((eb) => eb('code', '=', eb.fn.any(eb.val([...codes]))))
    .execute()
  return new Set(rows.map((r) => r.code))
}

export function listCategories(db: Executor) {
  return db.selectFrom('category').selectAll().orderBy('id').execute()
}

export function findCategory(db: Executor, id: number) {
  return db.selectFrom('category').selectAll().where('id', '=', id).executeTakeFirst()
}

export function insertCategory(db: Executor, values: { name: string; parentId: number | null }) {
  return db
    .insertInto('category')
    .values({ name: values.name, parent_id: values.parentId })
    .onConflict((oc) => oc.constraint('category_name_unique').doNothing())
    .returningAll()
    .executeTakeFirst()
}

/** Creates the categories that do not exist yet, in one statement; returns only the new ones. */
export async function insertMissingCategories(db: Executor, names: readonly string[]) {
  const { rows } = await sql<{ id: number; name: string }>`
    insert into category (name)
    select name from unnest(${[...names]}::text[]) as t(name)
    on conflict on constraint category_name_unique do nothing
    returning id, name`.execute(db)
  return rows
}

/**
 * Whole products in ONE statement, by id or SKU: each row with its category and its units (in unit
 * order), everything the cached product and its views need.
 */
export function findProductDocs(db: Executor, keys: { ids?: readonly number[]; skus?: readonly string[] }) {
  const ids = [...(keys.ids ?? [])]
  const skus = [...(keys.skus ?? [])]
  return db
    .selectFrom('product as p')
    .leftJoin('category as c', 'c.id', 'p.category_id')
    .selectAll('p')
    .select(['c.name as category_name', 'c.parent_id as category_parent_id', 'c.created_at as category_created_at'])
    .select((eb) =>
      jsonArrayFrom(
        eb
          .selectFrom('product_unit as pu')
          .select(['pu.unit_code as unit', sql<string>`pu.factor::text`.as('factor'), 'pu.barcode'])
          .whereRef('pu.product_id', '=', 'p.id')
          .orderBy('pu.unit_code'),
      ).as('units'),
    )
    .where((eb) => eb.or([eb('p.id', '=', eb.fn.any(eb.val(ids))), eb('p.sku', '=', eb.fn.any(eb.val(skus)))]))
    .orderBy('p.id')
    .execute()
}

export type ProductDocRow = Awaited<ReturnType<typeof findProductDocs>>[number]

export function findCategoriesByIds(db: Executor, ids: readonly number[]) {
  return db
    .selectFrom('category')
    .selectAll()
    .where((eb) => eb('id', '=', eb.fn.any(eb.val([...ids]))))
    .orderBy('id')
    .execute()
}

export interface ProductFilter {
  after?: number | undefined
  limit: number
  categoryId?: number | undefined
  active?: boolean | undefined
  /** case-insensitive substring of the name or the SKU */
  q?: string | undefined
  /** by id (default, for keyset pages with `after`), or by name or price with the id breaking ties */
  sort?: 'name' | 'price' | undefined
  /** rows to skip: numbered pages (the storefront's) */
  offset?: number | undefined
}

/** A page of product ids, by id: the products themselves come from the cache. */
export async function listProductIds(db: Executor, filter: ProductFilter): Promise<number[]> {
  let query = db.selectFrom('product as p').select('p.id')
  if (filter.after !== undefined) query = query.where('p.id', '>', filter.after)
  if (filter.categoryId !== undefined) query = query.where('p.category_id', '=', filter.categoryId)
  if (filter.active !== undefined) query = query.where('p.active', '=', filter.active)
  if (filter.q !== undefined) {
    const pattern = `%${filter.q.replace(/[\\%_]/g, '\\$&')}%`
    query = query.where((eb) => eb.or([eb('p.name', 'ilike', pattern), eb('p.sku', 'ilike', pattern)]))
  }
  if (filter.sort !== undefined) query = query.orderBy(filter.sort === 'name' ? 'p.name' : 'p.price')
  query = query.orderBy('p.id').limit(filter.limit)
  if (filter.offset !== undefined && filter.offset > 0) query = query.offset(filter.offset)
  return (await query.execute()).map((r) => r.id)
}

export type CodeMatch = 'barcode' | 'unit_barcode' | 'sku'

/**
 * What each scanned or typed code names, in ONE statement: a product barcode wins over a unit
 * barcode, which wins over a SKU. Codes that name nothing are left out.
 */
export async function findProductsByCodes(db: Executor, codes: readonly string[]) {
  const { rows } = await sql<{ code: string; product_id: number; unit_code: string | null; matched: CodeMatch }>`
    select c.code, m.product_id, m.unit_code, m.matched
    from unnest(${[...codes]}::text[]) as c(code)
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
    ) m on true`.execute(db)
  return rows
}

/** Locks the product row for the rest of the transaction; its codes as they were, to evict after the change. */
export function lockProduct(trx: Transaction<Database>, id: number) {
  return trx.selectFrom('product').select(['id', 'base_unit', 'sku', 'barcode']).where('id', '=', id).forUpdate().executeTakeFirst()
}

/** A product barcode's holder, or a unit's (unit_code set). */
export interface BarcodeOwner {
  barcode: string
  product_id: number
  sku: string
  unit_code: string | null
}

// Each key is one probe of a unique index (a LATERAL with LIMIT is never turned into a join):
// `key = any($1)` with a chunk's thousand keys plans as a seq scan of the whole table.
const productsBySkus = (skus: readonly string[]) => sql<{ id: number; sku: string; base_unit: string }>`
  select p.id, p.sku, p.base_unit
  from unnest(${[...skus]}::text[]) as s(sku)
  join lateral (select id, sku, base_unit from product where sku = s.sku limit 1) p on true`

const barcodeOwnersOf = (barcodes: readonly string[]) => sql<BarcodeOwner>`
  select b.barcode, o.product_id, o.sku, o.unit_code
  from unnest(${[...barcodes]}::text[]) as b(barcode)
  cross join lateral (
    (select id as product_id, sku, null::text as unit_code from product where barcode = b.barcode limit 1)
    union all
    (select pu.product_id, p.sku, pu.unit_code from product_unit pu join product p on p.id = pu.product_id
     where pu.barcode = b.barcode limit 1)
  ) o`

/** Which products hold these barcodes, on the product itself or on one of its units. */
export async function findBarcodeOwners(db: Executor, barcodes: readonly string[]): Promise<BarcodeOwner[]> {
  if (barcodes.length === 0) return []
  return (await barcodeOwnersOf(barcodes).execute(db)).rows
}

/**
 * What a chunk of bulk lines refers to, in ONE statement: which of `unitCodes` exist, the stored
 * products among `skus`, and who holds `barcodes`.
 */
export async function findBulkReferences(
  db: Executor,
  keys: { unitCodes: readonly string[]; skus: readonly string[]; barcodes: readonly string[] },
) {
  const { rows } = await sql<{ units: string[]; products: { id: number; sku: string; base_unit: string }[]; owners: BarcodeOwner[] }>`
    select
      array(select code from unit where code = any(${[...keys.unitCodes]}::text[])) as units,
      (select coalesce(json_agg(p), '[]') from (${productsBySkus(keys.skus)}) p) as products,
      (select coalesce(json_agg(o), '[]') from (${barcodeOwnersOf(keys.barcodes)}) o) as owners`.execute(db)
  const found = rows[0]!
  return { unitCodes: new Set(found.units), products: found.products, owners: found.owners }
}

export interface ProductValues {
  sku: string
  barcode: string | null
  name: string
  description: string
  categoryId: number | null
  baseUnit: string
  price: string
  taxRate: string
  active: boolean
}

export function insertProduct(db: Executor, values: ProductValues) {
  return db
    .insertInto('product')
    .values({
      sku: values.sku,
      barcode: values.barcode,
      name: values.name,
      description: values.description,
      category_id: values.categoryId,
      base_unit: values.baseUnit,
      price: values.price,
      tax_rate: values.taxRate,
      active: values.active,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
}

export function updateProduct(db: Executor, id: number, values: Partial<Omit<ProductValues, 'baseUnit'>>) {
  return db
    .updateTable('product')
    .set({
      ...(values.sku !== undefined ? { sku: values.sku } : {}),
      ...(values.barcode !== undefined ? { barcode: values.barcode } : {}),
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.description !== undefined ? { description: values.description } : {}),
      ...(values.categoryId !== undefined ? { category_id: values.categoryId } : {}),
      ...(values.price !== undefined ? { price: values.price } : {}),
      ...(values.taxRate !== undefined ? { tax_rate: values.taxRate } : {}),
      ...(values.active !== undefined ? { active: values.active } : {}),
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .execute()
}

/** A conversion of a product: how many base units one `unit` holds. */
export interface UnitConversionValues {
  unit: string
  factor: string
  barcode: string | null
}

/** One product line of a bulk upsert; `undefined` keeps the stored value of an existing product. */
export interface ProductUpsertRow {
  sku: string
  barcode: string | null | undefined
  name: string
  description: string | undefined
  /** category by name, which must exist; null: no category */
  category: string | null | undefined
  baseUnit: string
  price: string
  taxRate: string | undefined
  active: boolean | undefined
  /** the product's complete set of conversions; undefined keeps the stored ones */
  units?: readonly UnitConversionValues[] | undefined
}

/**
 * Inserts or updates every row, with its units, in ONE statement keyed by SKU. The SELECT merges
 * each row with the stored product (an index probe per SKU: a plain left join hashes the whole
 * table), so `excluded` already holds the final values and fields the caller left out keep what
 * was stored. `xmax = 0` is true only for freshly inserted rows. A row's `units` replace its
 * stored ones: a new product's are plainly inserted (it has none, and ON CONFLICT costs a
 * speculative insertion per row); an existing product's unlisted units are deleted, its changed
 * ones upserted and its unchanged ones left alone. Both inserts read `removed` first, so the
 * delete runs before them and a barcode can move from a dropped unit to a listed one.
 * SKUs must be unique within `rows` (ON CONFLICT may touch a row only once per statement).
 */
export async function upsertProducts(db: Executor, rows: readonly ProductUpsertRow[]) {
  const units = rows.flatMap((r) => (r.units ?? []).map((u) => ({ sku: r.sku, ...u })))
  const { rows: result } = await sql<{ id: number; sku: string; inserted: boolean }>`
    with input as (
      select * from unnest(
        ${rows.map((r) => r.sku)}::text[],
        ${rows.map((r) => r.barcode !== undefined)}::bool[],
        ${rows.map((r) => r.barcode ?? null)}::text[],
        ${rows.map((r) => r.name)}::text[],
        ${rows.map((r) => r.description ?? null)}::text[],
        ${rows.map((r) => r.category !== undefined)}::bool[],
        ${rows.map((r) => r.category ?? null)}::text[],
        ${rows.map((r) => r.baseUnit)}::text[],
        ${rows.map((r) => r.price)}::numeric[],
        ${rows.map((r) => r.taxRate ?? null)}::numeric[],
        ${rows.map((r) => r.active ?? null)}::bool[],
        ${rows.map((r) => r.units !== undefined)}::bool[]
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
        ${units.map((u) => u.sku)}::text[],
        ${units.map((u) => u.unit)}::text[],
        ${units.map((u) => u.factor)}::numeric[],
        ${units.map((u) => u.barcode)}::text[]
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
    select id, sku, inserted from written`.execute(db)
  return result
}

export interface ProductUnitValues extends UnitConversionValues {
  productId: number
}

/**
 * Makes `units` the complete set of conversions of each product in `productIds`, in ONE
 * statement: listed units are upserted, unlisted ones deleted, unchanged ones left alone (no dead
 * row). The insert reads `removed` first so the delete runs before it, letting a barcode move from
 * a dropped unit to a listed one.
 */
export async function replaceProductUnits(
  db: Executor,
  productIds: readonly number[],
  units: readonly ProductUnitValues[],
): Promise<void> {
  if (productIds.length === 0) return
  await sql`
    with input as (
      select * from unnest(
        ${units.map((u) => u.productId)}::bigint[],
        ${units.map((u) => u.unit)}::text[],
        ${units.map((u) => u.factor)}::numeric[],
        ${units.map((u) => u.barcode)}::text[]
      ) as t(product_id, unit_code, factor, barcode)
    ),
    removed as (
      delete from product_unit pu
      where pu.product_id = any(${[...productIds]}::bigint[])
        and not exists (select 1 from input i where i.product_id = pu.product_id and i.unit_code = pu.unit_code)
      returning 1
    )
    insert into product_unit as pu (product_id, unit_code, factor, barcode)
    select product_id, unit_code, factor, barcode from input
    where (select count(*) from removed) >= 0
    on conflict (product_id, unit_code) do update set factor = excluded.factor, barcode = excluded.barcode
    where (pu.factor, pu.barcode) is distinct from (excluded.factor, excluded.barcode)`.execute(db)
}
