/**
 * Shopper cookie sessions. A signed-in shopper's cookie holds the customers module's own session
 * token (`bcs_…`), a guest's cart the orders module's cart token (`bct_…`), and every visitor a
 * random CSRF secret: no session table of the storefront's own. The cookies are resolved inside
 * the storefront's scope, not by the API's bearer hook: a cached page must be able to answer from
 * the visitor summary below without the session lookup's statement.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Cache } from '../../infra/cache/cache.ts'
import type { Db } from '../../infra/db/database.ts'
import type { CustomerSession, CustomersService } from '../customers/index.ts'
import { findVisitorSummaries } from './storefront.repository.ts'

export const COOKIES = { session: 'brisk_session', cart: 'brisk_cart', csrf: 'brisk_csrf', flash: 'brisk_flash' } as const

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

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

function cookieOf(request: FastifyRequest, name: string, pattern: RegExp): string | undefined {
  const value = request.cookies[name]
  return value !== undefined && pattern.test(value) ? value : undefined
}

function flashOf(request: FastifyRequest): Flash | undefined {
  const raw = request.cookies[COOKIES.flash]
  if (!raw) return undefined
  const kind = raw.startsWith('e.') ? 'error' : 'ok'
  const text = Buffer.from(raw.slice(2), 'base64url').toString('utf8').slice(0, 500)
  return text ? { kind, text } : undefined
}

export function visitorOf(request: FastifyRequest): Visitor {
  const csrfSecret = cookieOf(request, COOKIES.csrf, CSRF_SECRET)
  return {
    sessionToken: cookieOf(request, COOKIES.session, SESSION_TOKEN),
    cartToken: cookieOf(request, COOKIES.cart, CART_TOKEN),
    csrfSecret: csrfSecret ?? randomBytes(32).toString('base64url'),
    isNew: csrfSecret === undefined,
    flash: flashOf(request),
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

/**
 * The cookies a response needs, and no other: a new visitor's CSRF secret, and clearing a flash
 * that this response shows. A page answered from a cached shell sets nothing else.
 */
export function sendVisitorCookies(request: FastifyRequest, reply: FastifyReply): void {
  const visitor = request.visitor
  if (visitor.isNew) reply.setCookie(COOKIES.csrf, visitor.csrfSecret, cookieOptions(request, YEAR_SECONDS))
  if (visitor.flash) reply.clearCookie(COOKIES.flash, { path: '/' })
}

export function setFlash(request: FastifyRequest, reply: FastifyReply, flash: Flash): void {
  const value = `${flash.kind === 'error' ? 'e' : 'o'}.${Buffer.from(flash.text.slice(0, 300)).toString('base64url')}`
  reply.setCookie(COOKIES.flash, value, cookieOptions(request, 60))
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
