import type { Command } from 'commander'
import type { Db } from '../infra/db/database.ts'
import { Big, money } from '../infra/decimal.ts'
import { parseDate, parseLocationCode, parseTimeZone } from './arguments.ts'
import { curl, withDatabase } from './context.ts'
import { UsageError } from './errors.ts'

interface SalesOptions {
  date: string
  location?: string
  timeZone: string
  json?: boolean
}

const AMOUNTS = ['netAmount', 'taxAmount', 'discountAmount', 'totalAmount'] as const
type Figures = { invoices: number; returns: number } & Record<(typeof AMOUNTS)[number], string>

async function salesReport(db: Db, options: SalesOptions) {
  const [{ createInventoryService }, { createReportingService }, { SYSTEM_PRINCIPAL }] = await Promise.all([
    import('../modules/inventory/index.ts'),
    import('../modules/reporting/index.ts'),
    import('../modules/access/index.ts'),
  ])
  const locations = await createInventoryService(db).listLocations()
  const chosen = options.location ? locations.filter((l) => l.code === options.location) : locations
  if (chosen.length === 0) {
    const known = locations.map((l) => l.code).join(', ') || 'none yet'
    throw new UsageError(`Unknown location "${options.location}" (locations: ${known}).`)
  }
  const reporting = createReportingService(db)
  const reports = []
  for (const location of chosen) {
    const { hours } = await reporting.salesByHour(SYSTEM_PRINCIPAL, {
      locationId: location.id,
      date: options.date,
      timeZone: options.timeZone,
    })
    const sum = (a: (typeof AMOUNTS)[number]) => money(hours.reduce((total, h) => total.plus(h[a]), new Big(0)))
    const totals: Figures = {
      invoices: hours.reduce((n, h) => n + h.invoices, 0),
      returns: hours.reduce((n, h) => n + h.returns, 0),
      netAmount: sum('netAmount'),
      taxAmount: sum('taxAmount'),
      discountAmount: sum('discountAmount'),
      totalAmount: sum('totalAmount'),
    }
    reports.push({ locationId: location.id, code: location.code, name: location.name, hours, totals })
  }
  return { date: options.date, timeZone: options.timeZone, locations: reports }
}

function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** "2026-11-22T09:00:00+01:00" → "09:00 +01:00". */
function hourLabel(hour: string): string {
  const parts = /^\d{4}-\d{2}-\d{2}T(\d{2}:\d{2}):\d{2}(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(hour)
  return parts ? `${parts[1]} ${parts[2] === 'Z' ? 'UTC' : parts[2]}` : hour
}

/** Hours without invoices or returns are left out of the table (not of --json). */
function printSales(report: Awaited<ReturnType<typeof salesReport>>): void {
  const headers = ['hour', 'invoices', 'returns', 'net', 'tax', 'discount', 'total']
  const blocks = report.locations.map((l) => {
    const title = `${l.code} (${l.name}), ${report.date}, ${report.timeZone}`
    const busy = l.hours.filter((h) => h.invoices > 0 || h.returns > 0)
    if (busy.length === 0) return `${title}: no sales.`
    const row = (label: string, r: Figures) => [label, String(r.invoices), String(r.returns), ...AMOUNTS.map((a) => r[a])]
    return `${title}\n${renderTable(headers, [...busy.map((h) => row(hourLabel(h.hour), h)), row('total', l.totals)])}`
  })
  console.log(blocks.join('\n\n'))
}

export function register(program: Command, summary: string): void {
  const report = program.command('report').summary(summary).description(summary)
  report
    .command('sales')
    .description(
      'Sales by hour of a local day, per location: invoices, returns and amounts, read from the hourly rollups ' +
        '(the same figures as GET /api/reports/sales/hourly).',
    )
    .requiredOption('--date <date>', 'the local day, e.g. 2026-11-22', parseDate)
    .option('--location <code>', 'one location (default: every location)', parseLocationCode)
    .option('--time-zone <zone>', 'IANA time zone of the day and the hours', parseTimeZone, 'UTC')
    .option('--json', 'print JSON instead of tables')
    .addHelpText('after', '\nExample:\n  brisk report sales --date 2026-11-22 --location MAIN --time-zone Europe/Berlin')
    .action(async (options: SalesOptions) => {
      const query = `date=${options.date}&timeZone=${encodeURIComponent(options.timeZone)}`
      await withDatabase(
        async (db) => {
          const result = await salesReport(db, options)
          if (options.json) console.log(JSON.stringify(result, null, 2))
          else printSales(result)
        },
        {
          whenLocked: {
            api: (url) => [
              `${curl('GET', `${url}/api/locations`)}   # the id of each location code`,
              curl('GET', `${url}/api/reports/sales/hourly?locationId=<id>&${query}`),
            ],
          },
        },
      )
    })
}
