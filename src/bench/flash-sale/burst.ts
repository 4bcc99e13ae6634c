import { performance } from 'node:perf_hooks'
import { type Answer, type Connection, errorCodeOf, openConnection } from '../checkout/http.ts'
import { checkoutBody } from '../checkout/shop.ts'
import { PRICE, type Sale } from './setup.ts'

export type Channel = 'till' | 'online'

/** One buyer's outcome: 'sold', 'sold out' (a clean 409 with the channel's code), or anything else. */
export interface Outcome {
  channel: Channel
  result: 'sold' | 'sold out' | 'error'
  /** the error code, or the HTTP status, of a refusal */
  code: string | undefined
  /** from the release to the buyer's last answer (online: cart + checkout) */
  ms: number
  /** online: the checkout request alone */
  placeMs: number | undefined
}

/** The clean sold-out answer of each channel. */
export const SOLD_OUT: Record<Channel, string> = { till: 'SALES_INSUFFICIENT_STOCK', online: 'ORDERS_SOLD_OUT' }

const CONNECT_BATCH = 100

/** Opens one connection per buyer, in batches (a burst of connects would overflow the listen backlog), before the release. */
export async function connectBuyers(port: number, buyers: number, signal: AbortSignal): Promise<Connection[]> {
  const connections: Connection[] = []
  try {
    for (let i = 0; i < buyers && !signal.aborted; i += CONNECT_BATCH) {
      const batch = Math.min(CONNECT_BATCH, buyers - i)
      connections.push(...(await Promise.all(Array.from({ length: batch }, () => openConnection(port)))))
    }
  } catch (error) {
    for (const c of connections) c.close()
    throw error
  }
  return connections
}

function judge(channel: Channel, answer: Answer, started: number, placeMs?: number): Outcome {
  const ms = performance.now() - started
  if (answer.status === 201) return { channel, result: 'sold', code: undefined, ms, placeMs }
  const code = errorCodeOf(answer)
  return { channel, result: answer.status === 409 && code === SOLD_OUT[channel] ? 'sold out' : 'error', code, ms, placeMs }
}

/** An online buyer's cart: its token and the goods total they were shown. */
interface ReadyCart {
  token: string
  total: string
}

const cartOf = (answer: Answer) => {
  const { token, cart } = JSON.parse(answer.body.toString()) as { token: string; cart: { total: string } }
  return { token, total: cart.total }
}

/** With --carts ready: every online buyer's cart, made before the release (carts take no stock). */
export async function readyCarts(connections: Connection[], sale: Sale): Promise<(ReadyCart | undefined)[]> {
  const body = cartBody(sale)
  const carts: (ReadyCart | undefined)[] = []
  for (let i = 0; i < connections.length; i += CONNECT_BATCH) {
    const batch = connections.slice(i, i + CONNECT_BATCH)
    carts.push(
      ...(await Promise.all(
        batch.map(async (connection, k) => {
          if (channelOf(i + k) === 'till') return undefined
          const created = await connection.post('/api/store/carts', body)
          if (created.status !== 201) throw new Error(`a cart: ${created.status} ${created.body.toString().slice(0, 300)}`)
          return cartOf(created)
        }),
      )),
    )
  }
  return carts
}

const channelOf = (buyer: number): Channel => (buyer % 2 === 0 ? 'till' : 'online')
const cartBody = (sale: Sale) => JSON.stringify({ add: [{ productId: sale.productId, quantity: 1 }] })

/**
 * Every buyer's first request is written in the same turn of the event loop: even buyers at the
 * tills (one unit, cash, submitted at once), odd buyers online (a guest cart, then checkout; only
 * the checkout when their cart is ready).
 */
export async function release(connections: Connection[], sale: Sale, ready?: (ReadyCart | undefined)[]): Promise<Outcome[]> {
  const till = JSON.stringify({
    locationId: sale.locationId,
    lines: [{ productId: sale.productId, quantity: 1 }],
    payments: [{ method: 'cash', amount: PRICE.gross }],
    submit: true,
  })
  const tillHeaders = `authorization: Bearer ${sale.tillToken}\r\nprefer: return=minimal\r\n`
  const cart = cartBody(sale)
  const started = performance.now()
  return Promise.all(
    connections.map(async (connection, i): Promise<Outcome> => {
      const channel = channelOf(i)
      try {
        if (channel === 'till') return judge('till', await connection.post('/api/sales/invoices', till, tillHeaders), started)
        let shopper = ready?.[i]
        if (shopper === undefined) {
          const created = await connection.post('/api/store/carts', cart)
          if (created.status !== 201) return judge('online', created, started)
          shopper = cartOf(created)
        }
        const placed = await connection.post('/api/store/checkout', checkoutBody(shopper.total, 'test'), `brisk-cart-token: ${shopper.token}\r\n`)
        return judge('online', placed, started, placed.ms)
      } catch (error) {
        return { channel, result: 'error', code: (error as Error).message, ms: performance.now() - started, placeMs: undefined }
      } finally {
        connection.close()
      }
    }),
  )
}
