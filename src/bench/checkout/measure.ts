import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import type { Db } from '../../infra/db/database.ts'
import type { Template } from '../invoice-submit/setup.ts'
import type { Progress } from '../progress.ts'
import { type Connection, errorCodeOf, openConnection } from './http.ts'
import type { Options } from './options.ts'
import { cartBody, checkoutBody } from './shop.ts'
import { floorPlace } from './floor.ts'

export type Variant = 'brisk' | 'floor'

/** A variant's measurements, summed over its rounds. */
export interface Tally {
  /** cart + place for brisk; the one statement for the floor */
  total: number[]
  place: number[]
  cartStatements: number
  placeStatements: number
  /** Server-Timing: the server's time awaiting the database, cart + place */
  dbMs: number
  /** CPU time of the process(es) serving the variant: brisk serve, or this one for the floor */
  cpuMs: number
  errors: number
  firstError: string | undefined
  elapsedMs: number
}

export const newTally = (): Tally => ({
  total: [],
  place: [],
  cartStatements: 0,
  placeStatements: 0,
  dbMs: 0,
  cpuMs: 0,
  errors: 0,
  firstError: undefined,
  elapsedMs: 0,
})

export interface Watch {
  progress: Progress
  signal: AbortSignal
}

/** One order from `clients` loops, over and over: a client's turn takes the next basket. */
type Loop = (t: Template, tally: Tally | undefined) => Promise<void>

export interface Workload {
  db: Db
  port: number
  /** CPU ms brisk serve used so far */
  serverCpuMs: () => number
  locationId: number
  templates: Template[]
}

/** Orders placed by each variant, warm-up included: what the database must hold afterwards. */
export interface Placed {
  brisk: number
  floor: number
}

/** Warm-up of each, then `rounds` rounds in which brisk and the floor take turns (first one, then the other). */
export async function measure(work: Workload, options: Options, watch: Watch): Promise<{ tallies: Record<Variant, Tally>; placed: Placed }> {
  const placed: Placed = { brisk: 0, floor: 0 }
  const tallies: Record<Variant, Tally> = { brisk: newTally(), floor: newTally() }
  const loops: Record<Variant, () => Promise<Loop & { close(): void }>> = {
    brisk: () => briskLoop(work.port, options, placed),
    floor: async () =>
      Object.assign(
        async (t: Template, tally: Tally | undefined) => {
          const t0 = performance.now()
          await floorPlace(work.db, work.locationId, t, options.payment === 'test')
          placed.floor += 1
          if (tally) {
            tally.total.push(performance.now() - t0)
            tally.placeStatements += 1
          }
        },
        { close() {} },
      ),
  }
  const variants: Variant[] = ['brisk', 'floor']
  watch.progress.phase('warming the cache: a cart of every basket once')
  await warmCatalog(work.port, work.templates)
  watch.progress.phase('warming up')
  await sql`vacuum analyze stock_level, stock_ledger, location, product, online_order, online_order_line, sales_rollup_hour,
    sales_rollup_product_hour`.execute(work.db.primary)
  for (const v of variants) {
    watch.progress.detail(v)
    if (options.warmupMs > 0) await drive(loops[v], work.templates, options.clients, options.warmupMs, undefined, watch.signal)
  }
  watch.progress.phase(`measuring ${options.rounds} round(s)`)
  const slice = options.durationMs / options.rounds
  for (let r = 0; r < options.rounds && !watch.signal.aborted; r++) {
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
      if (watch.signal.aborted) break
      watch.progress.detail(`round ${r + 1}/${options.rounds}, ${v}`)
      // every slice starts from vacuumed hot rows (stock, rollups), whichever ran before it
      await sql`vacuum stock_level, location, sales_rollup_hour, sales_rollup_product_hour`.execute(work.db.primary)
      const cpuMs = v === 'brisk' ? work.serverCpuMs : processCpuMs
      const cpuBefore = cpuMs()
      await drive(loops[v], work.templates, options.clients, slice, tallies[v], watch.signal)
      tallies[v].cpuMs += cpuMs() - cpuBefore
    }
  }
  return { tallies, placed }
}

const processCpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

async function drive(
  open: () => Promise<Loop & { close(): void }>,
  templates: Template[],
  clients: number,
  ms: number,
  tally: Tally | undefined,
  signal: AbortSignal,
): Promise<void> {
  let next = 0
  const start = performance.now()
  const end = start + ms
  await Promise.all(
    Array.from({ length: clients }, async () => {
      let loop = await open()
      try {
        while (performance.now() < end && !signal.aborted) {
          try {
            await loop(templates[next++ % templates.length]!, tally)
          } catch (error) {
            if (tally) {
              tally.errors += 1
              tally.firstError ??= (error as Error).message
            }
            if ((error as Error).message.includes('closed the connection') || (error as NodeJS.ErrnoException).code !== undefined) {
              loop.close()
              loop = await open()
            }
          }
        }
      } finally {
        loop.close()
      }
    }),
  )
  if (tally) tally.elapsedMs += performance.now() - start
}

/** A guest's checkout over one kept-alive connection: the cart with its lines, then the order placed. */
async function briskLoop(port: number, options: Options, placed: Placed): Promise<Loop & { close(): void }> {
  const connection: Connection = await openConnection(port)
  const run = randomBytes(4).toString('hex')
  const carts = new Map<Template, string>()
  // by the cart's goods total: the same basket is the same total, serialized once
  const checkouts = new Map<string, string>()
  let n = 0
  const loop = async (t: Template, tally: Tally | undefined) => {
    let body = carts.get(t)
    if (body === undefined) {
      body = cartBody(t)
      carts.set(t, body)
    }
    const t0 = performance.now()
    const cart = await connection.post('/api/store/carts', body)
    if (cart.status !== 201) throw new Error(`cart: ${cart.status} ${errorCodeOf(cart)}`)
    const created = JSON.parse(cart.body.toString()) as { token: string; cart: { total: string } }
    let checkout = checkouts.get(created.cart.total)
    if (checkout === undefined) {
      checkout = checkoutBody(created.cart.total, options.payment)
      checkouts.set(created.cart.total, checkout)
    }
    const key = options.key ? `idempotency-key: bench-${run}-${n++}\r\n` : ''
    const place = await connection.post('/api/store/checkout', checkout, `brisk-cart-token: ${created.token}\r\n${key}`)
    if (place.status !== 201) throw new Error(`checkout: ${place.status} ${place.body.toString().slice(0, 300)}`)
    placed.brisk += 1
    if (tally) {
      tally.total.push(performance.now() - t0)
      tally.place.push(place.ms)
      tally.cartStatements += cart.statements
      tally.placeStatements += place.statements
      tally.dbMs += cart.dbMs + place.dbMs
    }
  }
  return Object.assign(loop, { close: () => connection.close() })
}

/**
 * A cart of every basket, unmeasured: the products are in the server's memory tier before the
 * warm-up, as in a shop that is open, so SQL/order counts the checkout's own statements.
 */
async function warmCatalog(port: number, templates: Template[]): Promise<void> {
  const connection = await openConnection(port)
  try {
    for (const t of templates) {
      const cart = await connection.post('/api/store/carts', cartBody(t))
      if (cart.status !== 201) throw new Error(`cart: ${cart.status} ${cart.body.toString().slice(0, 300)}`)
    }
  } finally {
    connection.close()
  }
}

/** What must hold after the run, whatever the timings: every order written once, stock and ledger agreeing. */
export async function checkInvariants(db: Db, locationId: number) {
  const { rows } = await sql<{ orders: string; rollupOrders: string; drift: string; short: string }>`
    select (select count(*) from online_order where location_id = ${locationId})::text as orders,
      (select coalesce(sum(invoices), 0) from sales_rollup_hour where location_id = ${locationId} and channel = 'online')::text as "rollupOrders",
      (select coalesce(sum(abs(s.quantity - coalesce(l.total, 0))), 0) from stock_level s
        left join (select product_id, sum(delta) as total from stock_ledger where location_id = ${locationId} group by product_id) l
          on l.product_id = s.product_id
        where s.location_id = ${locationId})::text as drift,
      (select count(*) from stock_level where location_id = ${locationId} and quantity < 0)::text as short`.execute(db.primary)
  const row = rows[0]!
  return { orders: Number(row.orders), rollupOrders: Number(row.rollupOrders), stockDrift: Number(row.drift), negativeStock: Number(row.short) }
}
