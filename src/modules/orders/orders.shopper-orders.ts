/**
 * A shopper's orders: a customer reads their own; a guest reads the order placed from their cart
 * with that cart's token. Anything else is the same 404, whether or not the order exists.
 */
import type { Db } from '../../infra/db/database.ts'
import { notFound } from '../../infra/errors.ts'
import { type CartCaller, ownerOf } from './orders.carts.ts'
import { type Order, toOrder } from './orders.mapping.ts'
import * as repo from './orders.read.repository.ts'

export const MAX_PAGE = 100

const orderNotFound = (id: number) => notFound('ORDERS_ORDER_NOT_FOUND', `No order ${id} of yours.`, { id })

function readerOf(caller: CartCaller): repo.OrderReader | undefined {
  const owner = ownerOf(caller)
  if (!owner) return undefined
  return 'tokenHash' in owner ? { accessTokenHash: owner.tokenHash } : owner
}

export function createShopperOrders(db: Db) {
  /** From the primary: a shopper reads their order right after placing it. */
  async function findMyOrder(caller: CartCaller, id: number): Promise<Order> {
    const reader = readerOf(caller)
    const record = reader && (await repo.findOrder(db.primary, id, reader))
    if (!record) throw orderNotFound(id)
    return toOrder(record)
  }

  /** A signed-in customer's orders, newest first; a guest has no list (one order per cart token). */
  async function listMyOrders(customerId: number, page: { before?: number | undefined; limit?: number | undefined }) {
    const limit = Math.min(page.limit ?? 20, MAX_PAGE)
    const records = await repo.listOrders(db.primary, { customerId }, { before: page.before, limit })
    return { items: records.map(toOrder), nextBefore: records.length === limit ? records[records.length - 1]!.id : null }
  }

  return { findMyOrder, listMyOrders }
}
