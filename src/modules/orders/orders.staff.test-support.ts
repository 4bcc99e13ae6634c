/** What the staff's order tests share: orders placed over HTTP, and the online rollups summed. */
import assert from 'node:assert/strict'
import type { LightMyRequestResponse } from 'fastify'
import { sql } from 'kysely'
import { createToken } from '../../../test/factories.ts'
import type { Role } from '../access/index.ts'
import type { Db } from '../../infra/db/database.ts'
import { checkoutBody, type Method, type Who, withShipping } from './orders.test-support.ts'

type Send = (method: Method, url: string, who?: Who, payload?: object) => Promise<LightMyRequestResponse>

export interface PlacedOrder {
  id: number
  status: string
  total: string
  paidTotal: string
  locationId: number
  createdAt: string
  lines: { id: number; productId: number; quantity: string; total: string; returnedQuantity: string }[]
}

/** A guest's order of `lines`, paid by the test card, or placed unpaid with `manual`. */
export async function placeOrder(
  send: Send,
  lines: { productId: number; quantity: number | string; unit?: string }[],
  options: { manual?: boolean } = {},
): Promise<PlacedOrder> {
  const created = await send('POST', '/api/store/carts', {}, { add: lines })
  assert.equal(created.statusCode, 201, created.body)
  const { token, cart } = created.json()
  const overrides = options.manual ? { payment: { provider: 'manual' } } : {}
  const placed = await send('POST', '/api/store/checkout', { cart: token }, checkoutBody(withShipping(cart.total), overrides))
  assert.equal(placed.statusCode, 201, placed.body)
  return placed.json()
}

/** The online channel's rollups of a location, summed over every bucket and shard. */
export async function onlineRollups(db: Db, locationId: number) {
  const { rows } = await sql<{ invoices: string; returns: string; total: string; quantity: string }>`
    select
      (select coalesce(sum(invoices), 0)::text from sales_rollup_hour where location_id = ${locationId} and channel = 'online') as invoices,
      (select coalesce(sum(returns), 0)::text from sales_rollup_hour where location_id = ${locationId} and channel = 'online') as returns,
      (select coalesce(sum(total_amount), 0)::text from sales_rollup_hour where location_id = ${locationId} and channel = 'online') as total,
      (select coalesce(sum(quantity), 0)::text from sales_rollup_product_hour where location_id = ${locationId} and channel = 'online')
        as quantity`.execute(db.primary)
  const row = rows[0]!
  return { invoices: Number(row.invoices), returns: Number(row.returns), total: Number(row.total), quantity: Number(row.quantity) }
}

/** A staff token, already used once: its first request reads it from the database, which a statement count should not see. */
export async function staffToken(db: Db, send: Send, role: Role, locations?: string[]) {
  const created = await createToken(db, role, locations)
  const warm = await send('GET', '/api/orders?limit=1', { staff: created.token })
  assert.equal(warm.statusCode, 200, warm.body)
  return created
}
