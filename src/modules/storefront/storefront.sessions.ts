/**
 * Shopper cookie sessions. A signed-in shopper's cookie holds the customers module's own session
 * token (`bcs_…`), a guest's cart the orders module's cart token (`bct_…`), and every visitor a
 * random CSRF secret: no session table of the storefront's own. The cookies are resolved inside
 * the storefront's scope, not by the API's bearer hook: a cached page must be able to answer from
 * the visitor summary below without the session lookup's statement.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Cache } from '../../infra/cache/cache.ts'
import type { Db } from '../../infra/db/database.ts'
import type { CustomerSession, CustomersService } from '../customers/index.ts'
import { findVisitorSummaries } from './storefront.repository.ts'

export const COOKIES = { session: 'brisk_session', cart: 'brisk_cart', csrf: 'brisk_csrf' } as const

const SESSION_TOKEN = /^bcs_[\w-]{43}$/
const CART_TOKEN = /^bct_[\w-]{43}$/
const CSRF_SECRET = /^[\w-]{43}$/

/** What a request's cookies say about its visitor, before any statement. */
export interface Visitor {
  sessionToken: string | undefined
  cartToken: string | undefined
  csrfSecret: string
  /** the CSRF secret was made for this request: its cookie goes out with the response */
  isNew: boolean
  flash: Flash | undefined
}

export interface Flash {
  kind: 'ok' | 'error'
  text: string
}

/** The page holes' data: the same for every page of a visitor. */
export interface VisitorSummary {
  customerName: string | null
  cartLines: number
}

declare module '../../infra/cache/cache-keys.ts' {
  interface CachedValues {
    visitor: VisitorSummary
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    visitor: Visitor
  }
}

/**
 * The hashes of recent tokens, by token: every page of a visitor asks for the same summary id, and
 * a SHA-256 per page costs more than the cache lookup it keys. Bounded, least recently used first
 * out; the tokens stay in this process's memory only.
 */
const recentHashes = new Map<string, string>()
const RECENT_HASHES = 10_000

function sha256(text: string): string {
  let hash = recentHashes.get(text)
  if (hash !== undefined) recentHashes.delete(text)
  else {
    hash = createHash('sha256').update(text).digest('hex')
    if (recentHashes.size >= RECENT_HASHES) recentHashes.delete(recentHashes.keys().next().value!)
  }
  recentHashes.set(text, hash)
  return hash
}

function cookieOf(request: FastifyRequest, name: string, pattern: RegExp): string | undefined {
  const value = request.cookies[name]
  return value !== undefined && pattern.test(value) ? value : undefined
}

/**
 * A flash message travels in the redirect's URL (`?notice=`), signed with the visitor's CSRF
 * secret — not in a cookie, whose clearing would put a Set-Cookie on the cached page that shows
 * it. Only its own visitor sees it (a forwarded link shows nothing), and no one can craft one.
 */
const NOTICE = /^([oe])\.([\w-]{1,600})\.([\w-]{22})$/

const noticeMac = (csrfSecret: string, payload: string) =>
  createHmac('sha256', csrfSecret).update(`brisk-storefront-notice|${payload}`).digest('base64url').slice(0, 22)

function flashOf(request: FastifyRequest, csrfSecret: string | undefined): Flash | undefined {
  const raw = (request.query as Record<string, unknown> | undefined)?.['notice']
  const match = typeof raw === 'string' && csrfSecret !== undefined ? NOTICE.exec(raw) : null
  if (!match) return undefined
  const mac = Buffer.from(match[3]!)
  if (!timingSafeEqual(mac, Buffer.from(noticeMac(csrfSecret!, `${match[1]}.${match[2]}`)))) return undefined
  const text = Buffer.from(match[2]!, 'base64url').toString('utf8').slice(0, 300)
  return text ? { kind: match[1] === 'e' ? 'error' : 'ok', text } : undefined
}

export function visitorOf(request: FastifyRequest): Visitor {
  const csrfSecret = cookieOf(request, COOKIES.csrf, CSRF_SECRET)
  return {
    sessionToken: cookieOf(request, COOKIES.session, SESSION_TOKEN),
    cartToken: cookieOf(request, COOKIES.cart, CART_TOKEN),
    csrfSecret: csrfSecret ?? randomBytes(32).toString('base64url'),
    isNew: csrfSecret === undefined,
    flash: flashOf(request, csrfSecret),
  }
}

function cookieOptions(request: FastifyRequest, maxAgeSeconds?: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: request.protocol === 'https',
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
  }
}

const YEAR_SECONDS = 365 * 86_400

/** The one cookie a page may set: a new visitor's CSRF secret. A page answered from a cached shell sets nothing else. */
export function sendVisitorCookies(request: FastifyRequest, reply: FastifyReply): void {
  const visitor = request.visitor
  if (visitor.isNew) reply.setCookie(COOKIES.csrf, visitor.csrfSecret, cookieOptions(request, YEAR_SECONDS))
}

const pendingFlashes = new WeakMap<FastifyReply, Flash>()

/** The flash message the page this POST redirects to shows: see `flashed`. */
export function setFlash(_request: FastifyRequest, reply: FastifyReply, flash: Flash): void {
  pendingFlashes.set(reply, flash)
}

/** `location` with the reply's flash message, signed for this visitor, as its `notice`. */
export function flashed(request: FastifyRequest, reply: FastifyReply, location: string): string {
  const flash = pendingFlashes.get(reply)
  if (!flash) return location
  // a new visitor's secret goes out with this very response (sendVisitorCookies)
  const payload = `${flash.kind === 'error' ? 'e' : 'o'}.${Buffer.from(flash.text.slice(0, 300)).toString('base64url')}`
  const notice = `${payload}.${noticeMac(request.visitor.csrfSecret, payload)}`
  return `${location}${location.includes('?') ? '&' : '?'}notice=${notice}`
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: string): void {
  const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000))
  reply.setCookie(COOKIES.session, token, cookieOptions(request, maxAge))
}

export function setCartCookie(request: FastifyRequest, reply: FastifyReply, token: string, ttlHours: number): void {
  reply.setCookie(COOKIES.cart, token, cookieOptions(request, ttlHours * 3600))
}

export function clearCookie(reply: FastifyReply, name: string): void {
  reply.clearCookie(name, { path: '/' })
}

/** The visitor summary's cache id: the hashes of the tokens, never the tokens. */
export function summaryIdOf(visitor: Pick<Visitor, 'sessionToken' | 'cartToken'>): string | undefined {
  if (visitor.sessionToken === undefined && visitor.cartToken === undefined) return undefined
  const session = visitor.sessionToken === undefined ? '' : sha256(visitor.sessionToken)
  const cart = visitor.cartToken === undefined ? '' : sha256(visitor.cartToken)
  return `${session}.${cart}`
}

const NOBODY: VisitorSummary = { customerName: null, cartLines: 0 }

/**
 * The hole data through the cache tiers: no statement when cached, else ONE statement for every
 * visitor asked at once (the cache batches concurrent loads). Read from the primary: a shopper sees
 * their own cart change on the very next page.
 */
export function visitorSummaries(db: Db, cache: Cache) {
  cache.register('visitor', {
    async load(ids) {
      const keys = ids.map((id) => {
        const [session = '', cart = ''] = String(id).split('.')
        return { id: String(id), sessionHash: session || null, cartHash: cart || null }
      })
      const rows = await findVisitorSummaries(db.primary, keys)
      return new Map(rows.map((r) => [r.id, { customerName: r.customer_name, cartLines: r.cart_lines }]))
    },
    notFound: (id) => new Error(`no visitor summary ${id}`),
  })
  return {
    async summaryOf(visitor: Visitor): Promise<VisitorSummary> {
      const id = summaryIdOf(visitor)
      if (id === undefined) return NOBODY
      return (await cache.findCachedDoc('visitor', id)) ?? NOBODY
    },
    /** After the visitor's own write (cart, sign-in, sign-out), in every process. */
    async forget(visitor: Pick<Visitor, 'sessionToken' | 'cartToken'>): Promise<void> {
      const id = summaryIdOf(visitor)
      if (id !== undefined) await cache.evict('visitor', [id])
    },
  }
}

export type VisitorSummaries = ReturnType<typeof visitorSummaries>

/** The signed-in customer for a page or a write that needs it for real: the customers module's one lookup. */
export async function customerSessionOf(customers: CustomersService, visitor: Visitor): Promise<CustomerSession | null> {
  return visitor.sessionToken === undefined ? null : customers.authenticateSession(visitor.sessionToken)
}
