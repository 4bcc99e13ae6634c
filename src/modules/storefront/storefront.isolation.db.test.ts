/**
 * The "correctness under load": 100 visitors — signed-in shoppers with distinct names and
 * guests, each with a cart of a size no other has — send 100 requests each, all 10,000 interleaved
 * in a random order and many in flight at once, through the real app with the page cache on. Every
 * response must carry exactly its own visitor's name, cart count and CSRF token, no cookie, and no
 * secret of another visitor anywhere in its bytes; and most pages must come from the cache, so it
 * is the cached path that is proven. First visits (no cookie at all) are mixed in: each gets a CSRF
 * secret of its own, never one another response got.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { after, test } from 'node:test'
import type { BriskApp } from '../../app.ts'
import { describeEachDatabase } from '../../../test/db.ts'
import { csrfTokenOf, STOREFRONT_COOKIES } from './index.ts'
import { escapeHtml } from './storefront.render.ts'
import { demoShopApp } from './storefront.test-support.ts'

const SESSIONS = 100
const REQUESTS_EACH = 100
const FIRST_VISITS = 200
const IN_FLIGHT = 32

interface Visitor {
  index: number
  /** null: a guest */
  name: string | null
  cartLines: number
  cookie: string
  csrfToken: string
  /** every secret of this visitor that must never reach another: tokens, CSRF secret and token */
  secrets: string[]
}

/** A small seeded PRNG (mulberry32): the order is random but the same on every run. */
function randomOf(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const newCsrfSecret = () => randomBytes(32).toString('base64url')
const setCookiesOf = (raw: string | string[] | undefined) => (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw])
const all = (pattern: RegExp, text: string) => [...text.matchAll(pattern)].map((m) => m[1]!)

const NAME_HOLE = /<a href="\/account">Hi, ([^<]*)<\/a>/g
const SIGN_IN_HOLE = '<a href="/sign-in">Sign in</a>'
const BADGE = /class="badge">([^<]*)</g
const CSRF_INPUT = /name="_csrf" value="([^"]*)"/g
const SEARCH_VALUE = /<input type="search" name="q"[^>]* value="([^"]*)">/
/** Anything token-shaped in a page: looked up among every visitor's secrets. */
const TOKEN_LIKE = /[\w-]{40,}/g

describeEachDatabase('storefront: 100 visitors × 100 interleaved requests on cached pages', (ctx) => {
  let app: BriskApp | undefined
  after(async () => {
    await app?.close()
  })

  /**
   * Signed-in shoppers (3 in 5) and guests, visitor i with a cart of i + 1 lines, each with its own
   * CSRF secret. One shopper signs up through the customers service; the others are written as it
   * stores them (its password hash, a session token's SHA-256): 60 scrypt hashes would take most of
   * the time budget on a busy machine.
   */
  async function visitors(productIds: number[]): Promise<Visitor[]> {
    const { customers, orders } = app!.services
    const nameOf = (index: number) => `Shopper ${index} <Zoë & "Co"> #${index}`
    const first = await customers.signUp({ email: 'shopper0@example.com', name: nameOf(0), password: 'correct horse battery' })
    const { password_hash } = await ctx.db.primary.selectFrom('customer').select('password_hash').where('id', '=', first.customer.id).executeTakeFirstOrThrow()
    const signedIn = Array.from({ length: SESSIONS }, (_, index) => index).filter((index) => index % 5 < 3)
    const tokens = new Map(signedIn.map((index) => [index, index === 0 ? first.token : `bcs_${randomBytes(32).toString('base64url')}`]))
    const others = signedIn.filter((index) => index !== 0)
    const created = await ctx.db.primary
      .insertInto('customer')
      .values(others.map((index) => ({ email: `shopper${index}@example.com`, name: nameOf(index), password_hash })))
      .returning(['id', 'email'])
      .execute()
    const customerOf = new Map([[0, first.customer.id], ...created.map((c) => [Number(/\d+/.exec(c.email)![0]), c.id] as const)])
    const expires_at = new Date(Date.now() + 86_400_000)
    await ctx.db.primary
      .insertInto('customer_session')
      .values(others.map((index) => ({ customer_id: customerOf.get(index)!, token_hash: sha256(tokens.get(index)!), expires_at })))
      .execute()
    return Promise.all(
      Array.from({ length: SESSIONS }, async (_, index): Promise<Visitor> => {
        const lines = productIds.slice(0, index + 1).map((productId) => ({ productId, quantity: '1' }))
        const csrfSecret = newCsrfSecret()
        const csrf = `${STOREFRONT_COOKIES.csrf}=${csrfSecret}`
        const sessionToken = tokens.get(index)
        if (sessionToken !== undefined) {
          await orders.createCart({ customerId: customerOf.get(index)! }, lines)
          const csrfToken = csrfTokenOf({ csrfSecret, sessionToken })
          const cookie = `${STOREFRONT_COOKIES.session}=${sessionToken}; ${csrf}`
          return { index, name: nameOf(index), cartLines: lines.length, cookie, csrfToken, secrets: [sessionToken, csrfSecret, csrfToken] }
        }
        const { token } = await orders.createCart({}, lines)
        const csrfToken = csrfTokenOf({ csrfSecret, sessionToken: undefined })
        const cookie = `${STOREFRONT_COOKIES.cart}=${token}; ${csrf}`
        return { index, name: null, cartLines: lines.length, cookie, csrfToken, secrets: [token!, csrfSecret, csrfToken] }
      }),
    )
  }

  test('0 responses carry another visitor’s name, cart count, CSRF token or cookie; most come from the cache', async (t) => {
    app = await demoShopApp(ctx.db)
    const products = await ctx.db.primary.selectFrom('product').select(['id', 'category_id']).where('active', '=', true).orderBy('id').execute()
    const categoryIds = [...new Set(products.map((p) => p.category_id).filter((id) => id !== null))]
    assert.ok(products.length >= SESSIONS && categoryIds.length > 0, 'the demo shop has enough products')
    const started = Date.now()
    const people = await visitors(products.map((p) => p.id))
    const setupMs = Date.now() - started
    const owner = new Map(people.flatMap((v) => v.secrets.map((secret) => [secret, v.index] as const)))

    const random = randomOf(15)
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!
    const searches = ['cola', 'Cola', 'CHEDDAR', 'cheddar', 'bread', 'Zoë']
    const urlOf = (kind: number) => {
      if (kind === 0) return `/p/${pick(products.slice(0, 40)).id}`
      if (kind === 1) return `/c/${pick(categoryIds)}${random() < 0.3 ? '?sort=price' : ''}`
      if (kind === 2) return '/'
      if (kind === 3) return `/search?q=${encodeURIComponent(pick(searches))}`
      return '/cart'
    }
    const requests = shuffle(
      [
        ...people.flatMap((visitor) => Array.from({ length: REQUESTS_EACH }, (_, i) => ({ visitor, url: urlOf(i % 5) }))),
        ...Array.from({ length: FIRST_VISITS }, (_, i) => ({ visitor: undefined, url: urlOf(i % 4) })),
      ],
      random,
    )

    const problems: string[] = []
    const newSecrets = new Set<string>()
    let hits = 0
    let shells = 0
    const problem = (text: string) => {
      if (problems.length < 20) problems.push(text)
    }

    async function send(visitor: Visitor | undefined, url: string) {
      const response = await app!.http.inject({ method: 'GET', url, headers: visitor ? { cookie: visitor.cookie } : {} })
      const who = visitor ? `visitor ${visitor.index} ${url}` : `first visit ${url}`
      const body = response.body
      if (response.statusCode !== 200) return problem(`${who}: ${response.statusCode} ${body.slice(0, 200)}`)
      if (response.headers['x-page-cache'] !== undefined) {
        shells++
        if (response.headers['x-page-cache'] === 'hit') hits++
      }
      const cookies = setCookiesOf(response.headers['set-cookie'])
      let expected: { name: string | null; cartLines: number; csrfToken: string; index: number | undefined }
      if (visitor) {
        if (cookies.length > 0) problem(`${who}: sets cookies ${cookies.join(' | ')}`)
        expected = { ...visitor }
      } else {
        // a first visit: exactly one cookie, a CSRF secret no other response ever got
        const secret = cookies.length === 1 ? new RegExp(`^${STOREFRONT_COOKIES.csrf}=([\\w-]{43});`).exec(cookies[0]!)?.[1] : undefined
        if (secret === undefined) return problem(`${who}: expected one new CSRF cookie, got ${cookies.join(' | ')}`)
        if (newSecrets.has(secret) || owner.has(secret)) problem(`${who}: a CSRF secret handed out before`)
        newSecrets.add(secret)
        expected = { name: null, cartLines: 0, csrfToken: csrfTokenOf({ csrfSecret: secret, sessionToken: undefined }), index: undefined }
      }
      for (const cookie of cookies) {
        const value = /^[^=]*=([^;]*)/.exec(cookie)?.[1] ?? ''
        const of = owner.get(value)
        if (of !== undefined && of !== expected.index) problem(`${who}: Set-Cookie carries visitor ${of}'s ${cookie}`)
      }
      const names = all(NAME_HOLE, body)
      if (expected.name === null ? names.length > 0 || !body.includes(SIGN_IN_HOLE) : names.join('|') !== escapeHtml(expected.name)) {
        problem(`${who}: name ${JSON.stringify(names)}, expected ${JSON.stringify(expected.name)}`)
      }
      const badges = all(BADGE, body)
      if (badges.join('|') !== String(expected.cartLines)) problem(`${who}: cart badge ${JSON.stringify(badges)}, expected ${expected.cartLines}`)
      const tokens = all(CSRF_INPUT, body)
      const needsForm = url.startsWith('/p/') || (url === '/cart' && expected.cartLines > 0)
      if ((needsForm && tokens.length === 0) || tokens.some((t) => t !== expected.csrfToken)) {
        problem(`${who}: CSRF inputs ${JSON.stringify(tokens.slice(0, 3))}, expected ${expected.csrfToken}`)
      }
      for (const [word] of body.matchAll(TOKEN_LIKE)) {
        const of = owner.get(word)
        if (of !== undefined && of !== expected.index) problem(`${who}: the page holds visitor ${of}'s secret ${word}`)
      }
      // not a hole, but typed by the visitor: the search box shows what THIS visitor asked for
      if (url.startsWith('/search')) {
        const asked = new URL(url, 'http://shop').searchParams.get('q') ?? ''
        const shown = SEARCH_VALUE.exec(body)?.[1]
        if (shown !== escapeHtml(asked)) problem(`${who}: the search box shows ${JSON.stringify(shown)}`)
      }
    }

    let next = 0
    const loadStarted = Date.now()
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < requests.length) {
          const { visitor, url } = requests[next++]!
          await send(visitor, url)
        }
      }),
    )
    const loadMs = Date.now() - loadStarted
    t.diagnostic(`set-up ${setupMs} ms; ${requests.length} requests in ${loadMs} ms; ${hits} of ${shells} shell pages from the cache`)

    assert.deepEqual(problems, [], `${problems.length}+ responses wrong; the first ones listed`)
    // 4 in 5 requests are cached pages; of those only each page's first render (and joiners of it) misses
    assert.ok(shells >= requests.length * 0.75, `${shells} shell pages`)
    assert.ok(hits >= shells * 0.9, `only ${hits} of ${shells} shell pages came from the cache`)
    assert.equal(newSecrets.size, FIRST_VISITS)
  })
})
