import { type RawBuilder, sql } from 'kysely'
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
  /** the summed movement of this (location, product) */
  delta: string
  new_quantity: string
}

/** A movement the stock could not cover, as the refusing statement reports it. */
export interface ShortStock {
  locationId: number
  productId: number
  /** the base units asked for (positive) */
  requested: string
  /** the stock the statement saw */
  available: string
}

const isSql = (value: object): value is RawBuilder<unknown> => 'isRawBuilder' in value

/** The message of the error `brisk_refuse_short_stock` raises (migration 0003); its DETAIL is the JSON list. */
const SHORT_STOCK_MESSAGE = 'brisk_insufficient_stock'

/**
 * Stock movements as CTEs of a caller's write statement, so a sale, cancel or return moves its
 * stock inside its own single statement:
 * - movements are summed per (location, product) in SQL, and zero sums dropped;
 * - rows are upserted in (location, product) order, so concurrent statements lock in the same
 *   order and cannot deadlock;
 * - the decrement is `quantity + delta` in SQL, re-checked by ON CONFLICT against the latest row
 *   version, so concurrent sales can never take a location that forbids it below zero;
 * - a ledger row is written for each applied movement;
 * - `stock_short` lists the refused movements. The statement must select `refuseShortStock` once:
 *   it aborts the whole statement when that list is not empty, so nothing the statement wrote stays.
 * `movements` are values, or SQL selecting (location_id, product_id, delta, reason) from the
 * caller's statement — say, the lines it inserts. `when` gates them on a condition of the caller's
 * statement (say, that its insert happened).
 * The CTE `stock_applied` returns (location_id, product_id, quantity) of every moved row.
 */
export function stockMovementCtes(
  movements: readonly StockMovement[] | RawBuilder<unknown>,
  meta: { reference: string | RawBuilder<string> | null; tokenId: number | null },
  options: { when?: RawBuilder<boolean> } = {},
): RawBuilder<unknown> {
  const when = options.when ? sql`where ${options.when}` : sql``
  const rows = isSql(movements)
    ? movements
    : sql`select * from unnest(${movements.map((m) => m.locationId)}::bigint[], ${movements.map((m) => m.productId)}::bigint[],
        ${movements.map((m) => m.delta)}::numeric[], ${movements.map((m) => m.reason)}::text[])`
  return sql`stock_input as (
      select t.location_id, t.product_id, sum(t.delta) as delta, min(t.reason) as reason,
        coalesce(bool_or(l.allow_negative_stock), false) as allow_negative
      from (${rows}) as t(location_id, product_id, delta, reason)
      left join location l on l.id = t.location_id
      ${when}
      group by t.location_id, t.product_id
      having sum(t.delta) <> 0
    ), stock_applied as (
      -- a new row taking a location that forbids it below zero is inserted, then refused by stock_short
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
      insert into stock_ledger (location_id, product_id, delta, reason, reference, token_id)
      select i.location_id, i.product_id, i.delta, i.reason, ${meta.reference}, ${meta.tokenId}::bigint
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
    )`
}

/**
 * Select this once in a statement built on `stockMovementCtes`: it aborts the statement on a
 * shortage. The usual case — every movement applied, no row below zero — is settled by two
 * counts; only otherwise is the list of short movements built and handed to the function.
 */
export const refuseShortStock = sql<boolean>`case
  when (select count(*) from stock_input) = (select count(*) from stock_applied)
    and not exists (select 1 from stock_applied where quantity < 0) then true
  else brisk_refuse_short_stock((
    select jsonb_agg(jsonb_build_object('locationId', location_id, 'productId', product_id,
      'requested', requested::text, 'available', available::text) order by location_id, product_id)
    from stock_short))
  end`

/** The refused movements when `error` is the shortage a `refuseShortStock` raised; otherwise undefined. */
export function shortStockOf(error: unknown): ShortStock[] | undefined {
  if (!(error instanceof Error) || error.message !== SHORT_STOCK_MESSAGE) return undefined
  const detail = (error as Error & { detail?: unknown }).detail
  return typeof detail === 'string' ? (JSON.parse(detail) as ShortStock[]) : []
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
