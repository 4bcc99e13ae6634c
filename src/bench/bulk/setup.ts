/** The data the imports resolve against (not measured), how many rows a variant landed, and the reset between variants. */
import { sql } from 'kysely'
import type { Db } from '../../infra/db/database.ts'
import { GENERATED_UNITS } from '../../modules/imports/imports.test-support.ts'
import { newProducts, PRODUCT_CATEGORIES, PRODUCT_UNITS } from './generate.ts'
import type { Operation } from './options.ts'

/** Catalog products views and scores are spread over (stock counts one per product). */
const MAX_CATALOG = 10_000
const MAX_VIEW_CUSTOMERS = 1000

export interface World {
  run: string
  /** product_view.source of this run's views */
  source: string
  /** recommendation_score.algorithm of this run's scores */
  algorithm: string
  /** a location of its own that stock counts are taken at */
  locationId: number
  /** the catalog products, index i ↔ SKU BULK-<run>-i */
  productIds: number[]
  customerIds: number[]
  /** the categories imported products name, index k ↔ 'Category k' */
  categoryIds: number[]
}

/** How many catalog products and customers `size` rows of `operation` need. */
export function worldSize(operation: Operation, size: number): { products: number; customers: number } {
  if (operation === 'stock') return { products: size, customers: 0 }
  if (operation === 'products') return { products: 0, customers: 0 }
  const products = Math.min(size, MAX_CATALOG)
  return { products, customers: operation === 'views' ? Math.min(size, MAX_VIEW_CUSTOMERS) : Math.ceil(size / products) }
}

export async function setUpWorld(db: Db, operation: Operation, size: number): Promise<World> {
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`
  const counts = worldSize(operation, size)
  await db.primary.insertInto('unit').values(GENERATED_UNITS.map((code) => ({ code, name: code }))).onConflict((oc) => oc.column('code').doNothing()).execute()
  const location = await db.primary
    .insertInto('location')
    .values({ code: `BULK-${run}`, name: `Bulk benchmark ${run}`, kind: 'warehouse' })
    .returning('id')
    .executeTakeFirstOrThrow()
  const { rows: products } = await sql<{ id: string }>`
    insert into product (sku, name, base_unit, price, tax_rate)
    select 'BULK-' || ${run} || '-' || i, 'Bulk catalog product ' || i, 'each', 1 + (i % 50), 7
    from generate_series(0, ${counts.products - 1}::int) as i order by i
    returning id`.execute(db.primary)
  const { rows: customers } = await sql<{ id: string }>`
    insert into customer (email, name, password_hash)
    select 'bulk-' || ${run} || '-' || i || '@example.com', 'Bulk customer ' || i, 'bench: no sign-in'
    from generate_series(0, ${counts.customers - 1}::int) as i order by i
    returning id`.execute(db.primary)
  // a data-modifying CTE's rows are invisible to its own statement: the categories are read after
  await sql`insert into category (name) select 'Category ' || k from generate_series(0, ${PRODUCT_CATEGORIES - 1}::int) as k
    on conflict (name) do nothing`.execute(db.primary)
  const { rows: categories } = await sql<{ id: string }>`
    select c.id from generate_series(0, ${PRODUCT_CATEGORIES - 1}::int) as k join category c on c.name = 'Category ' || k order by k`.execute(db.primary)
  return {
    run,
    source: `bench-${run}`,
    algorithm: `bench-${run}`,
    locationId: Number(location.id),
    productIds: products.map((p) => Number(p.id)),
    customerIds: customers.map((c) => Number(c.id)),
    categoryIds: categories.map((c) => Number(c.id)),
  }
}

/**
 * Rows of this run that landed whole: views and scores in their table; stock counts as a ledger
 * row whose delta is the product's level (each starts from none); products with all their units.
 */
export async function rowsLanded(db: Db, world: World, operation: Operation): Promise<number> {
  const query = {
    views: sql<{ n: string }>`select count(*)::text as n from product_view where source = ${world.source}`,
    scores: sql<{ n: string }>`select count(*)::text as n from recommendation_score where algorithm = ${world.algorithm}`,
    stock: sql<{ n: string }>`select count(*)::text as n from stock_ledger l
      join stock_level s on s.location_id = l.location_id and s.product_id = l.product_id and s.quantity = l.delta
      where l.location_id = ${world.locationId}`,
    products: sql<{ n: string }>`select count(*)::text as n from product p where p.sku like ${`${newProducts(world)}-%`}
      and (select count(*) from product_unit u where u.product_id = p.id) = ${PRODUCT_UNITS}`,
  }[operation]
  // a check after the measurement: fresh statistics for its plan, and no statement timeout on it
  const tables = { views: 'product_view', scores: 'recommendation_score', stock: 'stock_ledger, stock_level', products: 'product, product_unit' }[operation]
  const { rows } = await db.primary.transaction().execute(async (trx) => {
    await sql`set local statement_timeout = 0`.execute(trx)
    await sql`analyze ${sql.raw(tables)}`.execute(trx)
    return query.execute(trx)
  })
  return Number(rows[0]!.n)
}

/** Removes what a variant wrote and vacuums, so the next one starts from the same tables. */
export async function resetTarget(db: Db, world: World, operation: Operation): Promise<void> {
  // deleting a large run checks every referencing table per row: no statement timeout on it
  const run = async (statement: ReturnType<typeof sql>) => {
    if (statement.compile(db.primary).sql.startsWith('vacuum')) return void (await statement.execute(db.primary))
    await db.primary.transaction().execute(async (trx) => {
      await sql`set local statement_timeout = 0`.execute(trx)
      await statement.execute(trx)
    })
  }
  if (operation === 'views') {
    await run(sql`delete from product_view where source = ${world.source}`)
    await run(sql`vacuum analyze product_view`)
  } else if (operation === 'scores') {
    await run(sql`delete from recommendation_score where algorithm = ${world.algorithm}`)
    await run(sql`vacuum analyze recommendation_score`)
  } else if (operation === 'stock') {
    await run(sql`delete from stock_ledger where location_id = ${world.locationId}`)
    await run(sql`delete from stock_level where location_id = ${world.locationId}`)
    await run(sql`vacuum analyze stock_ledger, stock_level`)
  } else {
    await run(sql`delete from product where sku like ${`${newProducts(world)}-%`}`)
    await run(sql`vacuum analyze product, product_unit`)
  }
}
