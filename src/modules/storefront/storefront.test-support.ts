/** A cookie-keeping shopper for app.inject tests: what a browser without JavaScript does. */
import type { BriskApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import type { Db } from '../../infra/db/database.ts'
import { buildApp } from '../../app.ts'
import { seedDemoShop } from '../../demo/seed-demo.ts'

export interface Page {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
  setCookies: string[]
}

export async function demoShopApp(db: Db): Promise<BriskApp> {
  const app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db, migrate: false })
  await seedDemoShop(db, app.services, { onlyIfEmpty: true })
  return app
}

export class Shopper {
  readonly cookies = new Map<string, string>()
  lastPage: Page | undefined

  constructor(readonly app: BriskApp) {}

  #cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  #keep(headers: Page['headers']): string[] {
    const raw = headers['set-cookie']
    const lines = raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)]
    for (const line of lines) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      if (value === '' || /max-age=0\b/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return lines
  }

  async get(url: string): Promise<Page> {
    const response = await this.app.http.inject({ method: 'GET', url, headers: { cookie: this.#cookieHeader() } })
    const page = { status: response.statusCode, headers: response.headers, body: response.body, setCookies: this.#keep(response.headers) }
    this.lastPage = page
    return page
  }

  /** Posts a form; `_csrf` is taken from the last page unless given. */
  async post(url: string, fields: Record<string, string>): Promise<Page> {
    const csrf = this.lastPage ? csrfOf(this.lastPage.body) : undefined
    const form = new URLSearchParams({ ...(csrf === undefined ? {} : { _csrf: csrf }), ...fields })
    const response = await this.app.http.inject({
      method: 'POST',
      url,
      headers: { cookie: this.#cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: form.toString(),
    })
    return { status: response.statusCode, headers: response.headers, body: response.body, setCookies: this.#keep(response.headers) }
  }

  /** POST → 303 → GET, as a browser follows it. */
  async submit(url: string, fields: Record<string, string>): Promise<Page> {
    const posted = await this.post(url, fields)
    if (posted.status !== 303) return posted
    return this.get(String(posted.headers['location']))
  }
}

export function csrfOf(html: string): string | undefined {
  return /name="_csrf" value="([^"]*)"/.exec(html)?.[1]
}
