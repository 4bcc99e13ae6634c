/** The catalog SQL sellers compose into their write statements. */
import { type RawBuilder, sql } from 'kysely'
import { pgArray } from '../../infra/db/pg-array.ts'

/** The price a line was priced with (from the cache or a lookup), to re-check in the write. */
export interface CatalogCheck {
  /** the line's position in the write */
  position: number
  /** price of one base unit */
  price: string
}

/**
 * A CTE `name` listing the positions of `lines` whose product no longer has the values they were
 * priced with: active, SKU, name, base price, tax rate and the unit's factor. `linesCte` is an
 * earlier CTE of the statement with (position, product_id, sku, name, unit, factor, tax_rate).
 * A subquery per line, so each is an index probe whatever the catalog's size.
 */
export function changedCatalogLinesCte(name: string, linesCte: string, checks: readonly CatalogCheck[]): RawBuilder<unknown> {
  const positions = pgArray(checks.map((c) => c.position))
  const prices = pgArray(checks.map((c) => c.price))
  return sql`${sql.raw(name)} as (
      -- lines priced from catalog values that changed since: the write then writes nothing
      select t.position
      from ${sql.raw(linesCte)} t
      join unnest(${positions}::bigint[], ${prices}::numeric[]) as c(position, price) on c.position = t.position
      where (
        select p.active and p.sku = t.sku and p.name = t.name and p.price = c.price and p.tax_rate = t.tax_rate
          and case when t.unit = p.base_unit then t.factor = 1 else coalesce((
            select pu.factor = t.factor from product_unit pu where pu.product_id = p.id and pu.unit_code = t.unit
          ), false) end
        from product p where p.id = t.product_id
      ) is not true
    )`
}
