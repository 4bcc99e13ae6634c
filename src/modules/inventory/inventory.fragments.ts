/**
 * The stock SQL other modules compose into their own write statements: a sale, a cancel or a
 * return moves its stock inside its one statement. The CTE names are exported so a caller can
 * refer to them (say, to order its own locks after the stock's).
 */
import { type RawBuilder, sql } from 'kysely'
import type { StockReason } from './inventory.tables.ts'

/** The CTEs `stockMovementCtes` adds, by name. */
export const STOCK_CTE = {
  /** (location_id, product_id, delta, reason, allow_negative): movements summed per row */
  input: 'stock_input',
  /** (location_id, product_id, quantity) of every stock row moved */
  applied: 'stock_applied',
  ledger: 'stock_ledger_rows',
  /** (location_id, product_id, requested, available) of the refused movements */
  short: 'stock_short',
} as const

const STOCK_CTE_SQL = {
  input: sql.raw(STOCK_CTE.input),
  applied: sql.raw(STOCK_CTE.applied),
  ledger: sql.raw(STOCK_CTE.ledger),
  short: sql.raw(STOCK_CTE.short),
}

export interface StockMovement {
  locationId: number
  productId: number
  /** signed, in the product's base unit, as an exact decimal string */
  delta: string
  reason: StockReason
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
 * - `STOCK_CTE.short` lists the refused movements. The statement must select `refuseShortStock` once:
 *   it aborts the whole statement when that list is not empty, so nothing the statement wrote stays.
 * `movements` are values, or SQL selecting (location_id, product_id, delta, reason) from the
 * caller's statement — say, the lines it inserts. `when` gates them on a condition of the caller's
 * statement (say, that its insert happened).
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
  const { input, applied, ledger, short } = STOCK_CTE_SQL
  return sql`${input} as (
      -- one movement per stock row, summed, so each row is locked and written once
      select t.location_id, t.product_id, sum(t.delta) as delta, min(t.reason) as reason,
        coalesce(bool_or(l.allow_negative_stock), false) as allow_negative
      from (${rows}) as t(location_id, product_id, delta, reason)
      left join location l on l.id = t.location_id
      ${when}
      group by t.location_id, t.product_id
      having sum(t.delta) <> 0
    ), ${applied} as (
      -- a new row taking a location that forbids it below zero is inserted, then refused by the short list
      insert into stock_level as s (location_id, product_id, quantity, updated_at)
      select i.location_id, i.product_id, i.delta, now()
      from ${input} i
      order by i.location_id, i.product_id
      on conflict (location_id, product_id) do update
        set quantity = s.quantity + excluded.quantity, updated_at = excluded.updated_at
        where excluded.quantity >= 0
          or s.quantity + excluded.quantity >= 0
          or (select l.allow_negative_stock from location l where l.id = s.location_id)
      returning s.location_id, s.product_id, s.quantity
    ), ${ledger} as (
      -- the ledger row of every applied movement, so the ledger always sums to the stock
      insert into stock_ledger (location_id, product_id, delta, reason, reference, token_id)
      select i.location_id, i.product_id, i.delta, i.reason, ${meta.reference}, ${meta.tokenId}::bigint
      from ${input} i
      join ${applied} a on a.location_id = i.location_id and a.product_id = i.product_id
      order by i.location_id, i.product_id
    ), ${short} as (
      -- a locking read: it sees the row version the refusal was judged on (which this statement
      -- holds locked), not the older one of the statement's snapshot
      select i.location_id, i.product_id, -i.delta as requested, coalesce(a.quantity - i.delta, (
          select s.quantity from stock_level s where s.location_id = i.location_id and s.product_id = i.product_id for share
        ), 0) as available
      from ${input} i
      left join ${applied} a on a.location_id = i.location_id and a.product_id = i.product_id
      where a.product_id is null or (i.delta < 0 and a.quantity < 0 and not i.allow_negative)
    )`
}

/**
 * Select this once in a statement built on `stockMovementCtes`: it aborts the statement on a
 * shortage. The usual case — every movement applied, no row below zero — is settled by two
 * counts; only otherwise is the list of short movements built and handed to the function.
 */
export const refuseShortStock = sql<boolean>`case
  when (select count(*) from ${STOCK_CTE_SQL.input}) = (select count(*) from ${STOCK_CTE_SQL.applied})
    and not exists (select 1 from ${STOCK_CTE_SQL.applied} where quantity < 0) then true
  else brisk_refuse_short_stock((
    select jsonb_agg(jsonb_build_object('locationId', location_id, 'productId', product_id,
      'requested', requested::text, 'available', available::text) order by location_id, product_id)
    from ${STOCK_CTE_SQL.short}))
  end`

/** The refused movements when `error` is the shortage a `refuseShortStock` raised; otherwise undefined. */
export function shortStockOf(error: unknown): ShortStock[] | undefined {
  if (!(error instanceof Error) || error.message !== SHORT_STOCK_MESSAGE) return undefined
  const detail = (error as Error & { detail?: unknown }).detail
  return typeof detail === 'string' ? (JSON.parse(detail) as ShortStock[]) : []
}

