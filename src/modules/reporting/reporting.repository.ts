import { sql } from 'kysely'
import type { Executor } from '../../infra/db/database.ts'
import { type SalesRollupDelta, salesRollupCtes } from './reporting.fragments.ts'

/** The rollups alone, in one statement (for writers with no statement of their own to fold them into). */
export async function applySalesRollups(db: Executor, delta: SalesRollupDelta): Promise<void> {
  await sql`with ${salesRollupCtes(delta)} select 1`.execute(db)
}

export interface HourlySalesRow {
  /** the UTC hour the rollups count in */
  hour: Date
  /** its start on the local clock, without offset: 2026-11-22T09:00:00 */
  local_hour: string
  invoices: number
  returns: number
  net_amount: string
  tax_amount: string
  total_amount: string
  discount_amount: string
}

/** The instant a local day starts in `timeZone` (an IANA name). */
const dayStart = (date: string, timeZone: string) => sql`(${date}::date)::timestamp at time zone ${timeZone}`
const dayAfter = (date: string, timeZone: string) => sql`(${date}::date + 1)::timestamp at time zone ${timeZone}`

/**
 * Every rollup hour starting in a local day (23 or 25 on DST days), zeros where nothing was sold,
 * with its local start; reads only the rollups. The rollups count in UTC hours, so in a zone whose
 * offset is not a whole number of hours the local hours start at, say, :30.
 */
export async function readHourlySales(
  db: Executor,
  query: { locationId: number; date: string; timeZone: string },
): Promise<HourlySalesRow[]> {
  const start = dayStart(query.date, query.timeZone)
  const end = dayAfter(query.date, query.timeZone)
  const { rows } = await sql<HourlySalesRow>`
    select h.hour, to_char(h.hour at time zone ${query.timeZone}, 'YYYY-MM-DD"T"HH24:MI:SS') as local_hour,
      coalesce(sum(r.invoices), 0)::bigint as invoices, coalesce(sum(r.returns), 0)::bigint as returns,
      coalesce(sum(r.net_amount), 0)::numeric(16, 2) as net_amount,
      coalesce(sum(r.tax_amount), 0)::numeric(16, 2) as tax_amount,
      coalesce(sum(r.total_amount), 0)::numeric(16, 2) as total_amount,
      coalesce(sum(r.discount_amount), 0)::numeric(16, 2) as discount_amount
    from generate_series(date_trunc('hour', ${start}, 'UTC'), ${end}, interval '1 hour') as h(hour)
    left join sales_rollup_hour r on r.location_id = ${query.locationId} and r.bucket = h.hour
    where h.hour >= ${start} and h.hour < ${end}
    group by h.hour
    order by h.hour`.execute(db)
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

export async function readTopProducts(
  db: Executor,
  query: { locationId: number; fromDate: string; toDate: string; timeZone: string; limit: number; by: 'total' | 'quantity' },
): Promise<TopProductRow[]> {
  const order = query.by === 'quantity' ? sql`sum(r.quantity)` : sql`sum(r.total_amount)`
  const { rows } = await sql<TopProductRow>`
    select r.product_id, p.sku, p.name, sum(r.quantity) as quantity, sum(r.net_amount) as net_amount,
      sum(r.tax_amount) as tax_amount, sum(r.total_amount) as total_amount
    from sales_rollup_product_hour r
    join product p on p.id = r.product_id
    where r.location_id = ${query.locationId} and r.bucket >= ${dayStart(query.fromDate, query.timeZone)}
      and r.bucket < ${dayAfter(query.toDate, query.timeZone)}
    group by r.product_id, p.sku, p.name
    having sum(r.quantity) <> 0 or sum(r.total_amount) <> 0
    order by ${order} desc, r.product_id
    limit ${query.limit}`.execute(db)
  return rows
}
