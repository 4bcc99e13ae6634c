import { sql } from 'kysely'
import type { Executor } from '../../infra/db/database.ts'
import type { StockReason } from './inventory.tables.ts'

export interface StockMovement {
  locationId: number
  productId: number
  /** signed, in the product's base unit, as an exact decimal string */
  delta: string
  reason: StockReason
}

export interface MovementOutcome {
  location_id: number
  product_id: number
  delta: string
  /** null when the movement was refused (it would take stock below zero) */
  new_quantity: string | null
  quantity_before: string
}

/**
 * Applies every movement in ONE statement, whatever their number:
 * - rows are upserted in (location, product) order, so concurrent callers lock in the same order
 *   and cannot deadlock;
 * - the decrement is `quantity + delta` in SQL, re-checked by ON CONFLICT against the latest row
 *   version, so concurrent sales can never take a location that forbids it below zero;
 * - a ledger row is written for each applied movement in the same statement.
 * Movements must be unique per (location, product). A refused movement comes back with
 * new_quantity null; the caller then rolls back, which also removes the ledger rows.
 */
export async function applyStockMovements(
  db: Executor,
  movements: readonly StockMovement[],
  meta: { reference: string | null; tokenId: number | null },
): Promise<MovementOutcome[]> {
  if (movements.length === 0) return []
  const { rows } = await sql<MovementOutcome>`
    with input as (
      select * from unnest(
        ${movements.map((m) => m.locationId)}::bigint[],
        ${movements.map((m) => m.productId)}::bigint[],
        ${movements.map((m) => m.delta)}::numeric[],
        ${movements.map((m) => m.reason)}::text[]
      ) as t(location_id, product_id, delta, reason)
    ),
    applied as (
      insert into stock_level as s (location_id, product_id, quantity, updated_at)
      select i.location_id, i.product_id, i.delta, now()
      from input i
      join location l on l.id = i.location_id
      where l.allow_negative_stock or i.delta >= 0
        or exists (select 1 from stock_level x where x.location_id = i.location_id and x.product_id = i.product_id)
      order by i.location_id, i.product_id
      on conflict (location_id, product_id) do update
        set quantity = s.quantity + excluded.quantity, updated_at = excluded.updated_at
        where excluded.quantity >= 0
          or s.quantity + excluded.quantity >= 0
          or (select l2.allow_negative_stock from location l2 where l2.id = s.location_id)
      returning s.location_id, s.product_id, s.quantity
    ),
    ledger as (
      insert into stock_ledger (location_id, product_id, delta, reason, reference, token_id)
      select i.location_id, i.product_id, i.delta, i.reason, ${meta.reference}, ${meta.tokenId}::bigint
      from input i
      join applied a on a.location_id = i.location_id and a.product_id = i.product_id
      order by i.location_id, i.product_id
    )
    select i.location_id, i.product_id, i.delta::text as delta, a.quantity::text as new_quantity,
      coalesce(s.quantity, 0)::text as quantity_before
    from input i
    left join applied a on a.location_id = i.location_id and a.product_id = i.product_id
    left join stock_level s on s.location_id = i.location_id and s.product_id = i.product_id
    order by i.location_id, i.product_id`.execute(db)
  return rows
}

export function findLocation(db: Executor, id: number) {
  return db.selectFrom('location').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findLocationsByIds(db: Executor, ids: readonly number[]) {
  return db.selectFrom('location').selectAll().where('id', 'in', [...ids]).execute()
}

export function listLocations(db: Executor) {
  return db.selectFrom('location').selectAll().orderBy('id').execute()
}

export function insertLocation(
  db: Executor,
  values: { code: string; name: string; kind: 'store' | 'warehouse'; allowNegativeStock: boolean },
) {
  return db
    .insertInto('location')
    .values({ code: values.code, name: values.name, kind: values.kind, allow_negative_stock: values.allowNegativeStock })
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst()
}

export function updateLocation(
  db: Executor,
  id: number,
  values: { name?: string | undefined; kind?: 'store' | 'warehouse' | undefined; allowNegativeStock?: boolean | undefined },
) {
  return db
    .updateTable('location')
    .set({
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.kind !== undefined ? { kind: values.kind } : {}),
      ...(values.allowNegativeStock !== undefined ? { allow_negative_stock: values.allowNegativeStock } : {}),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
}

export function listStockLevels(
  db: Executor,
  locationId: number,
  filter: { productIds?: readonly number[] | undefined; after?: number | undefined; limit: number },
) {
  let query = db
    .selectFrom('stock_level as s')
    .innerJoin('product as p', 'p.id', 's.product_id')
    .select(['s.product_id', 'p.sku', 'p.name', 'p.base_unit', 's.quantity', 's.updated_at'])
    .where('s.location_id', '=', locationId)
  if (filter.productIds && filter.productIds.length > 0) query = query.where('s.product_id', 'in', [...filter.productIds])
  if (filter.after !== undefined) query = query.where('s.product_id', '>', filter.after)
  return query.orderBy('s.product_id').limit(filter.limit).execute()
}

export function listLedger(
  db: Executor,
  locationId: number,
  filter: { productId?: number | undefined; after?: number | undefined; limit: number },
) {
  let query = db.selectFrom('stock_ledger').selectAll().where('location_id', '=', locationId)
  if (filter.productId !== undefined) query = query.where('product_id', '=', filter.productId)
  if (filter.after !== undefined) query = query.where('id', '>', filter.after)
  return query.orderBy('id').limit(filter.limit).execute()
}
