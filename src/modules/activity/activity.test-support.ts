/** What the activity tests share: the app over the test database, HTTP shorthands, views as stored. */
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { sql } from 'kysely'
import { type BriskApp, buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import type { Db } from '../../infra/db/database.ts'

export function openApp(db: Db): Promise<BriskApp> {
  return buildApp(loadConfig({}, { logLevel: 'silent' }), { db, migrate: false })
}

/** `send(method, url, token?, payload?)`: a staff token or a shopper's session token. */
export function sender(app: () => BriskApp) {
  return (method: 'GET' | 'POST' | 'PUT', url: string, token?: string, payload?: object): Promise<LightMyRequestResponse> => {
    const options: InjectOptions = { method, url }
    if (token) options.headers = { authorization: `Bearer ${token}` }
    if (payload) options.payload = payload
    return app().http.inject(options)
  }
}

let accounts = 0

/** Signs a new shopper up over HTTP: their session token and id. */
export async function signUpShopper(app: BriskApp): Promise<{ token: string; id: number }> {
  accounts += 1
  const account = { email: `viewer${accounts}-${process.pid}@example.com`, name: 'Ada Lovelace', password: 'correct horse battery' }
  const response = await app.http.inject({ method: 'POST', url: '/api/store/customers', payload: account })
  if (response.statusCode !== 201) throw new Error(`sign-up answered ${response.statusCode}: ${response.body}`)
  const body = response.json() as { token: string; customer: { id: number } }
  return { token: body.token, id: body.customer.id }
}

export interface StoredView {
  product_id: number
  customer_id: number | null
  session_id: string | null
  source: string
}

export async function storedViews(db: Db): Promise<StoredView[]> {
  const { rows } = await sql<StoredView>`
    select product_id::int as product_id, customer_id::int as customer_id, session_id, source from product_view order by id`.execute(db.primary)
  return rows
}

/** `count` views of `productId` by `sessionId`, `daysAgo` days old, written straight to the table. */
export async function insertViewsAged(db: Db, count: number, productId: number, daysAgo: number): Promise<void> {
  await sql`
    insert into product_view (product_id, session_id, source, viewed_at)
    select ${productId}, 's-' || g, 'web', now() - make_interval(days => ${daysAgo}::int) - make_interval(secs => g)
    from generate_series(1, ${count}::int) g`.execute(db.primary)
}
