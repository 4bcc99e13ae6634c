/**
 * What the reporting database tests share: sales placed at chosen instants, and the figures a report
 * must show worked out apart from the database — the local clock from Intl, the sums from the invoices.
 */
import { sql } from 'kysely'
import type { Db, Executor } from '../../infra/db/database.ts'
import { Big, money } from '../../infra/decimal.ts'
import { rollupBucketOf, SALES_ROLLUP_SHARDS, type SalesChannel, type SalesRollupDelta } from './reporting.fragments.ts'
import { applySalesRollups } from './reporting.repository.ts'

/** An invoice or a return as the tests sum it: when it counts and what it is worth. */
export interface Counted {
  at: Date
  net: string
  tax: string
  total: string
}

const formats = new Map<string, Intl.DateTimeFormat>()

/** The local date and the label of the local hour `instant` falls in ("2026-03-08T01:00:00-03:30"), from Intl. */
export function localHourOf(instant: Date, timeZone: string): { date: string; hour: string } {
  let format = formats.get(timeZone)
  if (!format) {
    const fields = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit' } as const
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', timeZoneName: 'longOffset', ...fields })
    formats.set(timeZone, format)
  }
  const part = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]))
  const offset = part['timeZoneName'] === 'GMT' ? '+00:00' : part['timeZoneName']!.slice(3)
  const date = `${part['year']}-${part['month']}-${part['day']}`
  return { date, hour: `${date}T${part['hour']}:00:00${offset}` }
}

/** The labels of every local hour of `date` in `timeZone`, in order: quarter hours around the day, kept if local to it. */
export function localHoursOf(date: string, timeZone: string): string[] {
  const from = Date.parse(`${date}T00:00:00Z`) - 15 * 3_600_000
  const hours = new Set<string>()
  for (let t = from; t < from + 54 * 3_600_000; t += 15 * 60_000) {
    const local = localHourOf(new Date(t), timeZone)
    if (local.date === date) hours.add(local.hour)
  }
  return [...hours]
}

/**
 * What the hourly report of `date` must say, hour by hour, summed in JS from the invoices and the
 * returns (which count against the hour they were made in).
 */
export function expectedHours(
  invoices: readonly Counted[],
  returns: readonly Counted[],
  date: string,
  timeZone: string,
) {
  return localHoursOf(date, timeZone).map((hour) => {
    const sold = invoices.filter((i) => localHourOf(i.at, timeZone).hour === hour)
    const returned = returns.filter((r) => localHourOf(r.at, timeZone).hour === hour)
    const sum = (pick: (c: Counted) => string) =>
      money(returned.reduce((s, r) => s.minus(pick(r)), sold.reduce((s, i) => s.plus(pick(i)), new Big(0))))
    return {
      hour,
      hourUtc: new Date(hour).toISOString(),
      invoices: sold.length,
      returns: returned.length,
      netAmount: sum((c) => c.net),
      taxAmount: sum((c) => c.tax),
      totalAmount: sum((c) => c.total),
    }
  })
}

/** The submitted invoices of a location as they are stored. */
export async function soldInvoices(db: Db, locationId: number): Promise<(Counted & { id: number })[]> {
  const { rows } = await sql<{ id: number; at: Date; net: string; tax: string; total: string }>`
    select id, submitted_at as at, net_total as net, tax_total as tax, total from sales_invoice
    where location_id = ${locationId} and status = 'submitted' order by id`.execute(db.primary)
  return rows
}

/** The returns of a location as they are stored. */
export async function returnsOf(db: Db, locationId: number): Promise<Counted[]> {
  const { rows } = await sql<Counted>`
    select created_at as at, net_amount as net, tax_amount as tax, total_amount as total from sales_return
    where location_id = ${locationId} order by id`.execute(db.primary)
  return rows
}

/** What an invoice adds to the rollups (or with `sign` -1 takes away, as a cancel) when it counts at `at`. */
export async function rollupDeltaOf(db: Executor, invoiceId: number, at: Date, sign: 1 | -1 = 1): Promise<SalesRollupDelta> {
  const signed = (value: string) => new Big(value).times(sign).toFixed()
  const { rows } = await sql<{ location_id: number; net_total: string; tax_total: string; total: string; discount: string }>`
    select location_id, net_total, tax_total, total, line_discount_total + discount_amount as discount
    from sales_invoice where id = ${invoiceId}`.execute(db)
  const invoice = rows[0]!
  type Line = { product_id: number; base_quantity: string; net_amount: string; tax_amount: string; total_amount: string }
  const { rows: lines } = await sql<Line>`
    select product_id, base_quantity, net_amount, tax_amount, total_amount from sales_invoice_line
    where invoice_id = ${invoiceId}`.execute(db)
  return {
    channel: 'pos',
    locationId: invoice.location_id,
    at,
    invoiceId,
    invoices: sign,
    returns: 0,
    netAmount: signed(invoice.net_total),
    taxAmount: signed(invoice.tax_total),
    totalAmount: signed(invoice.total),
    discountAmount: signed(invoice.discount),
    products: lines.map((l) => ({
      productId: l.product_id,
      quantity: signed(l.base_quantity),
      netAmount: signed(l.net_amount),
      taxAmount: signed(l.tax_amount),
      totalAmount: signed(l.total_amount),
    })),
  }
}

/**
 * Moves a submitted invoice to `at` and counts it in the rollups there (or at `countedAt`: the start
 * of its hour is where the previous release counted it), through applySalesRollups as a sale counts
 * itself; the caller first empties the rollups its sale wrote at the time it was made.
 */
export async function placeSaleAt(db: Db, invoiceId: number, at: Date, countedAt: Date = at): Promise<void> {
  await sql`update sales_invoice set submitted_at = ${at} where id = ${invoiceId}`.execute(db.primary)
  await applySalesRollups(db.primary, await rollupDeltaOf(db.primary, invoiceId, countedAt))
}

export async function deleteRollups(db: Db, locationId: number): Promise<void> {
  await sql`delete from sales_rollup_hour where location_id = ${locationId}`.execute(db.primary)
  await sql`delete from sales_rollup_product_hour where location_id = ${locationId}`.execute(db.primary)
}

/** A sales_rollup_hour row as the tests compare them: figures as plain decimals ("1.5", "0"). */
export interface ShardRollup {
  bucket: string
  channel: SalesChannel
  shard: number
  invoices: number
  returns: number
  net: string
  tax: string
  total: string
  discount: string
}

/** A sales_rollup_product_hour row as the tests compare them. */
export interface ProductRollup {
  bucket: string
  channel: SalesChannel
  productId: number
  quantity: string
  net: string
  tax: string
  total: string
}

/** Rollup rows of a location by (bucket, channel, shard) and (bucket, channel, product), in key order, all-zero rows left out. */
export interface Rollups {
  shards: ShardRollup[]
  products: ProductRollup[]
}

type RollupRow = Record<'net' | 'tax' | 'total', string> & { bucket: Date; channel: SalesChannel }
type ShardRow = RollupRow & { shard: number; invoices: string; returns: string; discount: string }
type ProductRow = RollupRow & { product_id: number; quantity: string }

const plain = (value: string) => new Big(value).toFixed()

function comparable(shards: ShardRow[], products: ProductRow[]): Rollups {
  return {
    shards: shards.map((r) => ({
      bucket: r.bucket.toISOString(),
      channel: r.channel,
      shard: Number(r.shard),
      invoices: Number(r.invoices),
      returns: Number(r.returns),
      net: plain(r.net),
      tax: plain(r.tax),
      total: plain(r.total),
      discount: plain(r.discount),
    })),
    products: products.map((r) => ({
      bucket: r.bucket.toISOString(),
      channel: r.channel,
      productId: Number(r.product_id),
      quantity: plain(r.quantity),
      net: plain(r.net),
      tax: plain(r.tax),
      total: plain(r.total),
    })),
  }
}

/** The rollup rows of a location as stored (see Rollups). */
export async function storedRollups(db: Executor, locationId: number): Promise<Rollups> {
  const { rows: shards } = await sql<ShardRow>`
    select bucket, channel, shard, invoices::text, returns::text, net_amount::text as net, tax_amount::text as tax,
      total_amount::text as total, discount_amount::text as discount
    from sales_rollup_hour
    where location_id = ${locationId}
      and (invoices <> 0 or returns <> 0 or net_amount <> 0 or tax_amount <> 0 or total_amount <> 0 or discount_amount <> 0)
    order by bucket, channel, shard`.execute(db)
  const { rows: products } = await sql<ProductRow>`
    select bucket, channel, product_id, quantity::text, net_amount::text as net, tax_amount::text as tax,
      total_amount::text as total
    from sales_rollup_product_hour
    where location_id = ${locationId} and (quantity <> 0 or net_amount <> 0 or tax_amount <> 0 or total_amount <> 0)
    order by bucket, channel, product_id`.execute(db)
  return comparable(shards, products)
}

/**
 * What the rollups of a location must hold (see Rollups), recomputed from what was sold there: the
 * submitted invoices and the returns of the tills (channel 'pos'); the orders not cancelled and the
 * order returns (channel 'online'), goods only, in the order's shard, a return at its own time.
 */
export async function recomputedRollups(db: Executor, locationId: number): Promise<Rollups> {
  const bucket = (at: string) => rollupBucketOf(sql.ref(at))
  const { rows: shards } = await sql<ShardRow>`
    with counted as (
      select ${bucket('i.submitted_at')} as bucket, 'pos' as channel, i.id % ${SALES_ROLLUP_SHARDS} as shard,
        1 as invoices, 0 as returns, i.net_total as net, i.tax_total as tax, i.total, i.line_discount_total + i.discount_amount as discount
      from sales_invoice i where i.location_id = ${locationId} and i.status = 'submitted'
      union all
      select ${bucket('r.created_at')}, 'pos', r.invoice_id % ${SALES_ROLLUP_SHARDS}, 0, 1, -r.net_amount, -r.tax_amount,
        -r.total_amount, 0
      from sales_return r where r.location_id = ${locationId}
      union all
      select ${bucket('o.created_at')}, 'online', o.id % ${SALES_ROLLUP_SHARDS}, 1, 0, o.subtotal, o.tax_total,
        o.subtotal + o.tax_total, 0
      from online_order o where o.location_id = ${locationId} and o.status <> 'cancelled'
      union all
      select ${bucket('r.created_at')}, 'online', r.order_id % ${SALES_ROLLUP_SHARDS}, 0, 1, -sum(l.net_amount),
        -sum(l.tax_amount), -sum(l.total_amount), 0
      from online_order_return r join online_order_return_line l on l.return_id = r.id
      where r.location_id = ${locationId}
      group by r.id
    )
    select bucket, channel, shard, sum(invoices)::text as invoices, sum(returns)::text as returns, sum(net)::text as net,
      sum(tax)::text as tax, sum(total)::text as total, sum(discount)::text as discount
    from counted group by bucket, channel, shard
    having sum(invoices) <> 0 or sum(returns) <> 0 or sum(net) <> 0 or sum(tax) <> 0 or sum(total) <> 0 or sum(discount) <> 0
    order by bucket, channel, shard`.execute(db)
  const { rows: products } = await sql<ProductRow>`
    with counted as (
      select ${bucket('i.submitted_at')} as bucket, 'pos' as channel, l.product_id, l.base_quantity as quantity,
        l.net_amount as net, l.tax_amount as tax, l.total_amount as total
      from sales_invoice i join sales_invoice_line l on l.invoice_id = i.id
      where i.location_id = ${locationId} and i.status = 'submitted'
      union all
      select ${bucket('r.created_at')}, 'pos', l.product_id, -l.base_quantity, -l.net_amount, -l.tax_amount, -l.total_amount
      from sales_return r join sales_return_line l on l.return_id = r.id where r.location_id = ${locationId}
      union all
      select ${bucket('o.created_at')}, 'online', l.product_id, l.base_quantity, l.net_amount, l.tax_amount, l.total_amount
      from online_order o join online_order_line l on l.order_id = o.id
      where o.location_id = ${locationId} and o.status <> 'cancelled'
      union all
      select ${bucket('r.created_at')}, 'online', l.product_id, -l.base_quantity, -l.net_amount, -l.tax_amount, -l.total_amount
      from online_order_return r join online_order_return_line l on l.return_id = r.id where r.location_id = ${locationId}
    )
    select bucket, channel, product_id, sum(quantity)::text as quantity, sum(net)::text as net, sum(tax)::text as tax,
      sum(total)::text as total
    from counted group by bucket, channel, product_id
    having sum(quantity) <> 0 or sum(net) <> 0 or sum(tax) <> 0 or sum(total) <> 0
    order by bucket, channel, product_id`.execute(db)
  return comparable(shards, products)
}
