/** `brisk orders list`: online orders as staff see them, newest first, as a table or JSON. */
import { type Command, Option } from 'commander'
import type { Services } from '../app.ts'
import { ORDER_STATUSES, type OrderStatus, type StaffOrderPage } from '../modules/orders/index.ts'
import { parseLocationCode, wholeNumber } from './arguments.ts'
import { curl, withServices } from './context.ts'
import { UsageError } from './errors.ts'

export interface ListOrdersOptions {
  status?: OrderStatus
  /** a location code */
  location?: string
  limit: number
  json?: boolean
}

/** The page the options ask for, with each order's location code. */
export async function listOrdersForCli(services: Services, options: ListOrdersOptions) {
  const { SYSTEM_PRINCIPAL } = await import('../modules/access/index.ts')
  const locations = await services.inventory.listLocations()
  const codeOf = new Map(locations.map((l) => [l.id, l.code]))
  let locationId: number | undefined
  if (options.location !== undefined) {
    locationId = locations.find((l) => l.code === options.location)?.id
    if (locationId === undefined) {
      const known = locations.map((l) => l.code).join(', ') || 'none yet'
      throw new UsageError(`Unknown location "${options.location}" (locations: ${known}).`)
    }
  }
  const page: StaffOrderPage = await services.orders.listStaffOrders(SYSTEM_PRINCIPAL, {
    status: options.status,
    locationId,
    limit: options.limit,
  })
  return { ...page, items: page.items.map((o) => ({ ...o, locationCode: codeOf.get(o.locationId) ?? String(o.locationId) })) }
}

type Listed = Awaited<ReturnType<typeof listOrdersForCli>>

function renderTable(headers: string[], rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => r.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** The orders as a table: one row each, amounts as the API gives them. */
export function ordersTable(listed: Listed): string {
  if (listed.items.length === 0) return 'No orders.'
  const headers = ['id', 'placed (UTC)', 'status', 'location', 'lines', 'total', 'paid', 'refunded', 'email', 'tracking']
  const rows = listed.items.map((o) => [
    String(o.id),
    o.createdAt.slice(0, 16).replace('T', ' '),
    o.status,
    o.locationCode,
    String(o.lines.length),
    o.total,
    o.paidTotal,
    o.refundedTotal,
    o.email,
    o.trackingReference ?? '',
  ])
  const more =
    listed.nextBefore === null ? '' : `\nThe newest ${listed.items.length}; for older ones use a larger --limit, or GET /api/orders?before=${listed.nextBefore}.`
  return `${renderTable(headers, rows, new Set([0, 4, 5, 6, 7]))}${more}`
}

export function register(program: Command, summary: string): void {
  const orders = program.command('orders').summary(summary).description(summary)
  orders
    .command('list')
    .description('Online orders, newest first, with their totals, payment, refunds and tracking (the same as GET /api/orders).')
    .addOption(new Option('--status <status>', 'only orders in this state').choices(ORDER_STATUSES))
    .option('--location <code>', 'only orders fulfilled from this location', parseLocationCode)
    .option('--limit <n>', 'at most this many orders (default 50)', wholeNumber(1, 200, 'a limit'), 50)
    .option('--json', 'print JSON instead of a table')
    .addHelpText('after', '\nExample:\n  brisk orders list --status paid --location MAIN --limit 20')
    .action(async (options: ListOrdersOptions) => {
      await withServices(
        async (services) => {
          const listed = await listOrdersForCli(services, options)
          console.log(options.json ? JSON.stringify(listed, null, 2) : ordersTable(listed))
        },
        {
          whenLocked: {
            api: (url) => [curl('GET', `${url}/api/orders?limit=${options.limit}${options.status ? `&status=${options.status}` : ''}`)],
          },
        },
      )
    })
}
