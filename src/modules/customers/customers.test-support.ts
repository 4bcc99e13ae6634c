/** What the customers' database tests share: the app over the test database and HTTP shorthands. */
import type { InjectOptions } from 'fastify'
import { type BriskApp, buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import type { Db } from '../../infra/db/database.ts'

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

export function openApp(db: Db): Promise<BriskApp> {
  return buildApp(loadConfig({}, { logLevel: 'silent' }), { db, migrate: false })
}

export function sender(app: () => BriskApp) {
  return (method: Method, url: string, token?: string, payload?: object) => {
    const options: InjectOptions = { method, url }
    if (token) options.headers = { authorization: `Bearer ${token}` }
    if (payload) options.payload = payload
    return app().http.inject(options)
  }
}

let sequence = 0

/** A new account's sign-up body: a distinct email each call. */
export function newAccount(name = 'Ada Lovelace') {
  sequence += 1
  return { email: `shopper${sequence}@example.com`, name, password: 'correct horse battery' }
}

/** Signs a new customer up over HTTP; its session token and the body it was made with. */
export async function signUp(app: BriskApp, account = newAccount()) {
  const response = await app.http.inject({ method: 'POST', url: '/api/store/customers', payload: account })
  if (response.statusCode !== 201) throw new Error(`sign-up answered ${response.statusCode}: ${response.body}`)
  const body = response.json() as { token: string; customer: { id: number; email: string } }
  return { ...account, token: body.token, id: body.customer.id }
}
