import { sql } from 'kysely'
import type { Executor } from '../../infra/db/database.ts'
import { type SalesChannel, type SalesRollupDelta, salesRollupCtes } from './reporting.fragments.ts'

/** The rollups alone, in one statement (for writers with no statement of their own to fold them into). */
export async function applySalesRollups(db: Executor, delta: SalesRollupDelta): Promise<void> {
  await sql`with ${salesRollupCtes(delta)} select 1`.execute(db)
}

export interface HourlyFigures {
  invoices: number
  returns: number
  net_amount: string
  tax_amount: string
  total_amount: string
  discount_amount: string
}

type Prefixed<P extends string, T> = { [K in keyof T & string as `${P}${K}`]: T[K] }

/** An hour's figures of every channel read, and each channel's share of them (columns prefixed `pos_`, `online_`). */
export type HourlySalesRow = HourlyFigures &
  Prefixed<'pos_', HourlyFigures> &
  Prefixed<'online_', HourlyFigures> & {
    /** the instant the local hour starts */
    hour: Date
    /** its start on the local clock, without offset: 2026-11-22T09:00:00 */
    local_hour: string
  }

/** The hour's sums of the rows `sold` holds, of one channel (columns prefixed with its name) or of all. */
function hourFigures(channel?: SalesChannel) {
  const only = channel === undefined ? sql`` : sql` filter (where s.channel = ${sql.lit(channel)})`
  const as = (name: string) => sql.raw(channel === undefined ? name : `${channel}_${name}`)
  return sql`coalesce(sum(s.invoices)${only}, 0)::bigint as ${as('invoices')},
      coalesce(sum(s.returns)${only}, 0)::bigint as ${as('returns')},
      coalesce(sum(s.net_amount)${only}, 0)::numeric(16, 2) as ${as('net_amount')},
      coalesce(sum(s.tax_amount)${only}, 0)::numeric(16, 2) as ${as('tax_amount')},
      coalesce(sum(s.total_amount)${only}, 0)::numeric(16, 2) as ${as('total_amount')},
      coalesce(sum(s.discount_amount)${only}, 0)::numeric(16, 2) as ${as('discount_amount')}`
}

/** Rollup rows `r` of one channel, or of all when none is given. */
const ofChannel = (channel: SalesChannel | undefined) => (channel === undefined ? sql`` : sql`and r.channel = ${channel}`)

/** The instant a local day starts in `timeZone` (an IANA name). */
const dayStart = (date: string, timeZone: string) => sql`(${date}::date)::timestamp at time zone ${timeZone}`
const dayAfter = (date: string, timeZone: string) => sql`(${date}::date + 1)::timestamp at time zone ${timeZone}`

/**
 * Every clock hour of a local day (23 or 25 on DST days), zeros where nothing was sold, with its
 * start as an instant and on the local clock, of one channel or all, and split by channel; reads
 * only the rollups, in one statement. The day is cut into the rollups' quarter hours and each
 * quarter joins the local hour it falls in, so the hours are exact in any zone whose offset is a
 * whole number of quarter hours (all of them today).
 */
export async function readHourlySales(
  db: Executor,
  query: { locationId: number; date: string; timeZone: string; channel?: SalesChannel | undefined },
): Promise<HourlySalesRow[]> {
  const { rows } = await sql<HourlySalesRow>`
    with day as (
      select ${dayStart(query.date, query.timeZone)} as first, ${dayAfter(query.date, query.timeZone)} as after
    ), quarter as (
      -- the day's quarter hours, each with the local clock time it starts at
      select q.bucket, q.bucket at time zone ${query.timeZone} as clock
      from day cross join generate_series(day.first, day.after - interval '15 minutes', interval '15 minutes') as q(bucket)
    ), sold as (
      -- the location's rollups of that day, shards summed
      select r.bucket, r.channel, sum(r.invoices) as invoices, sum(r.returns) as returns, sum(r.net_amount) as net_amount,
        sum(r.tax_amount) as tax_amount, sum(r.total_amount) as total_amount, sum(r.discount_amount) as discount_amount
      from day join sales_rollup_hour r on r.location_id = ${query.locationId} and r.bucket >= day.first and r.bucket < day.after
        ${ofChannel(query.channel)}
      group by r.bucket, r.channel
    )
    -- a quarter's hour starts as many minutes before it as the local clock shows past the hour
    select q.bucket - (q.clock - date_trunc('hour', q.clock)) as hour,
      to_char(date_trunc('hour', q.clock), 'YYYY-MM-DD"T"HH24:MI:SS') as local_hour,
      ${hourFigures()},
      ${hourFigures('pos')},
      ${hourFigures('online')}
    from quarter q left join sold s on s.bucket = q.bucket
    group by 1, 2
    order by 1`.execute(db)
  return rows
}

export interface TopProductRow {
  product_id: number
  sku: string
  name: string
  quantity: string
  net_amount: string
  tax_amount: string
  total_amount: string
}

/**
 * Best sellers of the local days `fromDate` to `toDate`, of one channel or all: whole quarter-hour
 * buckets, so exact in any zone.
 */
export async function readTopProducts(
  db: Executor,
  query: {
    locationId: number
    fromDate: string
    toDate: string
    timeZone: string
    limit: number
    by: 'total' | 'quantity'
    channel?: SalesChannel | undefined
  },
): Promise<TopProductRow[]> {
  const order = query.by === 'quantity' ? sql`sum(r.quantity)` : sql`sum(r.total_amount)`
  const { rows } = await sql<TopProductRow>`
    select r.product_id, p.sku, p.name, sum(r.quantity) as quantity, sum(r.net_amount) as net_amount,
      sum(r.tax_amount) as tax_amount, sum(r.total_amount) as total_amount
    from sales_rollup_product_hour r
    join product p on p.id = r.product_id
    where r.location_id = ${query.locationId} and r.bucket >= ${dayStart(query.fromDate, query.timeZone)}
      and r.bucket < ${dayAfter(query.toDate, query.timeZone)} ${ofChannel(query.channel)}
    group by r.product_id, p.sku, p.name
    having sum(r.quantity) <> 0 or sum(r.total_amount) <> 0
    order by ${order} desc, r.product_id
    limit ${query.limit}`.execute(db)
  return rows
}
