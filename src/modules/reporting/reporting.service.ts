import type { Db } from '../../infra/db/database.ts'
import { decimalString, money } from '../../infra/decimal.ts'
import { invalid } from '../../infra/errors.ts'
import { type Principal, requireLocation } from '../access/index.ts'
import type { SalesChannel } from './reporting.fragments.ts'
import * as repo from './reporting.repository.ts'

const DATE = /^\d{4}-\d{2}-\d{2}$/

function checkDate(value: string, path: string): string {
  if (!DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw invalid('REPORTING_INVALID_DATE', `${path} must be a date like 2026-01-31.`, { field: `/${path}` })
  }
  return value
}

function checkTimeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone })
  } catch {
    throw invalid('REPORTING_INVALID_TIME_ZONE', `Unknown time zone "${timeZone}"; use an IANA name such as Europe/Paris.`, {
      field: '/timeZone',
    })
  }
  return timeZone
}

const twoDigits = (n: number) => String(n).padStart(2, '0')

/**
 * ISO 8601 with the offset the zone had then: the local clock time the database gave for `instant`
 * ("2026-11-22T09:00:00") and the difference between the two, so the label and the bucket agree.
 */
function localTimeOf(instant: Date, localClock: string): string {
  const minutes = Math.round((Date.parse(`${localClock}Z`) - instant.getTime()) / 60_000)
  const offset = Math.abs(minutes)
  return `${localClock}${minutes < 0 ? '-' : '+'}${twoDigits(Math.floor(offset / 60))}:${twoDigits(offset % 60)}`
}

/** The figures of `row` under the column prefix `prefix` ('' for all channels, 'pos_', 'online_'). */
function hourFigures(row: repo.HourlySalesRow, prefix: '' | `${SalesChannel}_`) {
  const figures = row as unknown as Record<string, string | number>
  const column = (name: keyof repo.HourlyFigures) => figures[`${prefix}${name}`]!
  return {
    invoices: Number(column('invoices')),
    returns: Number(column('returns')),
    netAmount: money(String(column('net_amount'))),
    taxAmount: money(String(column('tax_amount'))),
    totalAmount: money(String(column('total_amount'))),
    discountAmount: money(String(column('discount_amount'))),
  }
}

/** Sales reports read only the rollups (never the invoices), from the reader: replica lag is acceptable. */
export function createReportingService(db: Db) {
  return {
    async salesByHour(
      principal: Principal,
      query: { locationId: number; date: string; timeZone?: string | undefined; channel?: SalesChannel | undefined },
    ) {
      requireLocation(principal, query.locationId)
      const timeZone = checkTimeZone(query.timeZone ?? 'UTC')
      const rows = await repo.readHourlySales(db.reader, {
        locationId: query.locationId,
        date: checkDate(query.date, 'date'),
        timeZone,
        channel: query.channel,
      })
      return {
        locationId: query.locationId,
        date: query.date,
        timeZone,
        channel: query.channel ?? null,
        hours: rows.map((r) => ({
          hour: localTimeOf(r.hour, r.local_hour),
          hourUtc: r.hour.toISOString(),
          ...hourFigures(r, ''),
          byChannel: { pos: hourFigures(r, 'pos_'), online: hourFigures(r, 'online_') },
        })),
      }
    },

    async topProducts(
      principal: Principal,
      query: {
        locationId: number
        from: string
        to?: string | undefined
        timeZone?: string | undefined
        limit?: number | undefined
        by?: 'total' | 'quantity' | undefined
        channel?: SalesChannel | undefined
      },
    ) {
      requireLocation(principal, query.locationId)
      const timeZone = checkTimeZone(query.timeZone ?? 'UTC')
      const fromDate = checkDate(query.from, 'from')
      const toDate = checkDate(query.to ?? query.from, 'to')
      if (toDate < fromDate) throw invalid('REPORTING_INVALID_RANGE', 'to must not be before from.', { field: '/to' })
      const by = query.by ?? 'total'
      const rows = await repo.readTopProducts(db.reader, {
        locationId: query.locationId,
        fromDate,
        toDate,
        timeZone,
        limit: query.limit ?? 10,
        by,
        channel: query.channel,
      })
      return {
        locationId: query.locationId,
        from: fromDate,
        to: toDate,
        timeZone,
        by,
        channel: query.channel ?? null,
        items: rows.map((r) => ({
          productId: r.product_id,
          sku: r.sku,
          name: r.name,
          quantity: decimalString(r.quantity),
          netAmount: money(r.net_amount),
          taxAmount: money(r.tax_amount),
          totalAmount: money(r.total_amount),
        })),
      }
    },
  }
}

export type ReportingService = ReturnType<typeof createReportingService>
