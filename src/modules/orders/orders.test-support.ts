/** What the orders' database tests share: a shop that sells online, and checkout over HTTP. */
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { sql } from 'kysely'
import { addStock, createLocation, createProduct, createProducts } from '../../../test/factories.ts'
import { type BriskApp, buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import type { Db } from '../../infra/db/database.ts'
import { TEST_CARDS } from './orders.payments.ts'

export function openApp(db: Db): Promise<BriskApp> {
  return buildApp(loadConfig({}, { logLevel: 'silent' }), { db, migrate: false })
}

let accounts = 0

/** Signs a new customer up over HTTP: their session token, id and email. */
export async function signUpShopper(app: BriskApp): Promise<{ token: string; id: number; email: string }> {
  accounts += 1
  const account = { email: `buyer${accounts}-${process.pid}@example.com`, name: 'Grace Hopper', password: 'correct horse battery' }
  const response = await app.http.inject({ method: 'POST', url: '/api/store/customers', payload: account })
  if (response.statusCode !== 201) throw new Error(`sign-up answered ${response.statusCode}: ${response.body}`)
  const body = response.json() as { token: string; customer: { id: number } }
  return { token: body.token, id: body.customer.id, email: account.email }
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

/** Who sends: a guest's cart token, a customer's session, a staff token; and an Idempotency-Key. */
export interface Who {
  cart?: string | undefined
  session?: string | undefined
  staff?: string | undefined
  key?: string | undefined
}

export function storeSender(app: () => BriskApp) {
  return (method: Method, url: string, who: Who = {}, payload?: object): Promise<LightMyRequestResponse> => {
    const headers: Record<string, string> = {}
    if (who.cart) headers['brisk-cart-token'] = who.cart
    if (who.session ?? who.staff) headers['authorization'] = `Bearer ${who.session ?? who.staff}`
    if (who.key) headers['idempotency-key'] = who.key
    const options: InjectOptions = { method, url, headers }
    if (payload) options.payload = payload
    return app().http.inject(options)
  }
}

/** A location selling online with `stock` of each product, and a 'standard' shipping method: 4.90 anywhere, free over 50. */
export async function onlineShop(db: Db, options: { stock?: string; products?: number; priority?: number } = {}) {
  const location = await createLocation(db)
  await sql`update location set sells_online = true, online_priority = ${options.priority ?? 0} where id = ${location.id}`.execute(db.primary)
  const count = options.products ?? 2
  const products =
    count <= 2
      ? [
          await createProduct(db, { price: '2.50', taxRate: '10', units: { box12: '12' } }),
          await createProduct(db, { price: '2.50', taxRate: '10', units: { box12: '12' } }),
        ].slice(0, count)
      : await createProducts(db, count, { price: '2.50', taxRate: '10' })
  await addStock(db, location.id, products.map((p) => ({ productId: p.id, quantity: options.stock ?? '100' })))
  await sql`
    insert into shipping_method (code, name) values ('standard', 'Standard') on conflict (code) do nothing`.execute(db.primary)
  await sql`
    insert into shipping_rate (shipping_method_id, country, price, free_over)
    select id, '*', 4.90, 50 from shipping_method where code = 'standard'
    on conflict do nothing`.execute(db.primary)
  return { location, products }
}

export const ADDRESS = { name: 'Ada Lovelace', line1: '1 Analytical Row', city: 'London', postalCode: 'N1 9GU', country: 'GB' }

/** The checkout body for a cart whose total the shopper was shown. */
export function checkoutBody(expectedTotal: string, overrides: Record<string, unknown> = {}) {
  return {
    email: 'guest@example.com',
    shippingAddress: ADDRESS,
    shippingMethod: 'standard',
    payment: { provider: 'test', card: { number: TEST_CARDS.approve } },
    expectedTotal,
    ...overrides,
  }
}

/** What the shopper pays for a cart of `goodsTotal` with the 'standard' method. */
export const withShipping = (goodsTotal: string) => (Number(goodsTotal) >= 50 ? goodsTotal : (Number(goodsTotal) + 4.9).toFixed(2))
