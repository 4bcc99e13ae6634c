import { sql } from 'kysely'
import type { Executor } from '../../infra/db/database.ts'
import { refuseShortStock, type StockMovement, stockMovementCtes } from './inventory.fragments.ts'
import type { StockReason } from './inventory.tables.ts'

export interface MovementOutcome {
  location_id: number
  product_id: number
  /** the summed movement of this (location, product) */
  delta: string
  new_quantity: string
}

/**
 * Applies every movement in ONE statement, whatever their number (see stockMovementCtes). On a
 * shortage the statement writes nothing and throws; `shortStockOf` reads the error.
 */
export async function applyStockMovements(
  db: Executor,
  movements: readonly StockMovement[],
  meta: { reference: string | null; tokenId: number | null },
): Promise<MovementOutcome[]> {
  if (movements.length === 0) return []
  const { rows } = await sql<{ stock_ok: boolean; moved: MovementOutcome[] | null }>`/* prepared */
    with ${stockMovementCtes(movements, meta)}
    select ${refuseShortStock} as stock_ok, (
      select json_agg(json_build_object('location_id', i.location_id, 'product_id', i.product_id,
        'delta', i.delta::text, 'new_quantity', a.quantity::text) order by i.location_id, i.product_id)
      from stock_input i join stock_applied a on a.location_id = i.location_id and a.product_id = i.product_id
    ) as moved`.execute(db)
  return rows[0]?.moved ?? []
}

export function findLocation(db: Executor, id: number) {
  return db.selectFrom('location').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findLocationsByIds(db: Executor, ids: readonly number[]) {
  return db.selectFrom('location').selectAll().where('id', 'in', [...ids]).execute()
}

export function listLocationIds(db: Executor) {
  return db.selectFrom('location').select('id').orderBy('id').execute()
}

export function insertLocation(
  db: Executor,
  values: {
    code: string
    name: string
    kind: 'store' | 'warehouse'
    allowNegativeStock: boolean
    sellsOnline?: boolean | undefined
    onlinePriority?: number | undefined
  },
) {
  return db
    .insertInto('location')
    .values({
      code: values.code,
      name: values.name,
      kind: values.kind,
      allow_negative_stock: values.allowNegativeStock,
      sells_online: values.sellsOnline ?? false,
      online_priority: values.onlinePriority ?? 0,
    })
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst()
}

export function updateLocation(
  db: Executor,
  id: number,
  values: {
    name?: string | undefined
    kind?: 'store' | 'warehouse' | undefined
    allowNegativeStock?: boolean | undefined
    sellsOnline?: boolean | undefined
    onlinePriority?: number | undefined
  },
) {
  return db
    .updateTable('location')
    .set({
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.kind !== undefined ? { kind: values.kind } : {}),
      ...(values.allowNegativeStock !== undefined ? { allow_negative_stock: values.allowNegativeStock } : {}),
      ...(values.sellsOnline !== undefined ? { sells_online: values.sellsOnline } : {}),
      ...(values.onlinePriority !== undefined ? { online_priority: values.onlinePriority } : {}),
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

/** Each product's stock summed over the locations that sell online (storefront stock badges); products with none are left out. */
export function sumOnlineStock(db: Executor, productIds: readonly number[]) {
  return db
    .selectFrom('stock_level as s')
    .innerJoin('location as l', 'l.id', 's.location_id')
    .select((eb) => ['s.product_id', eb.fn.sum<string>('s.quantity').as('quantity')])
    .where('l.sells_online', '=', true)
    .where((eb) => eb('s.product_id', '=', eb.fn.any(eb.val([...productIds]))))
    .groupBy('s.product_id')
    .execute()
}

/** Newest first; `before` an id for the next (older) page. */
export function listLedger(
  db: Executor,
  locationId: number,
  filter: { productId?: number | undefined; reason?: StockReason | undefined; before?: number | undefined; limit: number },
) {
  let query = db.selectFrom('stock_ledger').selectAll().where('location_id', '=', locationId)
  if (filter.productId !== undefined) query = query.where('product_id', '=', filter.productId)
  if (filter.reason !== undefined) query = query.where('reason', '=', filter.reason)
  if (filter.before !== undefined) query = query.where('id', '<', filter.before)
  return query.orderBy('id', 'desc').limit(filter.limit).execute()
}
