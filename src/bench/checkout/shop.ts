import { sql } from 'kysely'
import type { Db } from '../../infra/db/database.ts'
import { Big, money } from '../../infra/decimal.ts'
import { parseOptions as invoiceOptions } from '../invoice-submit/options.ts'
import { setUp, type Template } from '../invoice-submit/setup.ts'

export const SHIPPING = { method: 'standard', price: '4.90', freeOver: '50' }
export const ADDRESS = { name: 'Ada Lovelace', line1: '1 Analytical Row', city: 'London', postalCode: 'N1 9GU', country: 'GB' }
export const TEST_CARD = '4242424242424242'

/** `locationId` sells online, and a 'standard' shipping method delivers anywhere: 4.90, free from 50. */
export async function sellOnline(db: Db, locationId: number): Promise<void> {
  await sql`update location set sells_online = true, online_priority = 0 where id = ${locationId}`.execute(db.primary)
  await sql`insert into shipping_method (code, name) values (${SHIPPING.method}, 'Standard') on conflict (code) do nothing`.execute(db.primary)
  await sql`
    insert into shipping_rate (shipping_method_id, country, price, free_over)
    select id, '*', ${SHIPPING.price}::numeric, ${SHIPPING.freeOver}::numeric from shipping_method where code = ${SHIPPING.method}
    on conflict do nothing`.execute(db.primary)
}

/** What the shopper pays for goods of `goodsTotal`: shipping on top below the free threshold. */
export function withShipping(goodsTotal: string): { shipping: string; total: string } {
  const goods = new Big(goodsTotal)
  const shipping = goods.gte(SHIPPING.freeOver) ? new Big(0) : new Big(SHIPPING.price)
  return { shipping: money(shipping), total: money(goods.plus(shipping)) }
}

/** The body of POST /api/store/checkout for a cart whose goods total the shopper was shown. */
export function checkoutBody(goodsTotal: string, payment: 'test' | 'manual'): string {
  return JSON.stringify({
    email: 'bench@example.com',
    shippingAddress: ADDRESS,
    shippingMethod: SHIPPING.method,
    payment: payment === 'test' ? { provider: 'test', card: { number: TEST_CARD } } : { provider: 'manual' },
    expectedTotal: withShipping(goodsTotal).total,
  })
}

/** The body of POST /api/store/carts: a guest cart with the template's lines. */
export const cartBody = (t: Template) => JSON.stringify({ add: t.lines.map((l) => ({ productId: l.product.id, quantity: l.quantity })) })

/**
 * invoice-submit's shop (a location of its own, products, a billion units of each so nothing sells
 * out, 64 fixed baskets priced up front), selling online.
 */
export async function setUpShop(db: Db, options: { lines: number; products: number }) {
  const shop = await setUp(db, invoiceOptions({ lines: String(options.lines), products: String(options.products) }))
  await sellOnline(db, shop.locationId)
  return shop
}
