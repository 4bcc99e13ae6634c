/**
 * CSRF: one token per visitor session, checked on every form POST.
 *
 * The token is an HMAC keyed by the visitor's secrets — the random CSRF cookie, and the customer
 * session token once signed in — so it needs no server key shared by every worker, no stored
 * state, and stays the same for the whole session: a page's shell never holds it (it is a hole),
 * and rendering never sets a cookie. A signed-in shopper's token is bound to their session token,
 * which a cookie-tossing attacker cannot know. (@fastify/csrf-protection would mint a new salted
 * token per render and, with its cookie storage, set its secret on the response that asks.)
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../../infra/errors.ts'
import type { Visitor } from './storefront.sessions.ts'

export const CSRF_FIELD = '_csrf'

/**
 * Tokens already computed, by their HMAC key (the visitor's secrets): every page of a visitor
 * fills the same token, and an HMAC with a new key costs more than the rest of a cached page's
 * holes. Bounded, least recently used first out; the secrets stay in this process's memory only.
 */
const recentTokens = new Map<string, string>()
export const RECENT_CSRF_TOKENS = 10_000

export function csrfTokenOf(visitor: Pick<Visitor, 'csrfSecret' | 'sessionToken'>): string {
  const key = `${visitor.csrfSecret}|${visitor.sessionToken ?? ''}`
  let token = recentTokens.get(key)
  if (token !== undefined) {
    recentTokens.delete(key)
  } else {
    token = createHmac('sha256', key).update('brisk-storefront-csrf').digest('base64url')
    if (recentTokens.size >= RECENT_CSRF_TOKENS) recentTokens.delete(recentTokens.keys().next().value!)
  }
  recentTokens.set(key, token)
  return token
}

export const csrfRefused = () =>
  new AppError(
    'forbidden',
    'STOREFRONT_CSRF',
    'This form has expired or did not come from this shop. Go back, reload the page and send it again.',
  )

/** A POST's `_csrf` field must be the visitor's token; a new visitor (no CSRF cookie yet) has none. */
export function checkCsrf(request: FastifyRequest): void {
  const visitor = request.visitor
  const body = request.body as Record<string, unknown> | undefined
  const sent = typeof body?.[CSRF_FIELD] === 'string' ? (body[CSRF_FIELD] as string) : ''
  const expected = Buffer.from(csrfTokenOf(visitor))
  const given = Buffer.from(sent)
  if (visitor.isNew || given.length !== expected.length || !timingSafeEqual(given, expected)) throw csrfRefused()
}
