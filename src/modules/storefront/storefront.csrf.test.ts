import assert from 'node:assert/strict'
import { createHmac, randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { csrfTokenOf, RECENT_CSRF_TOKENS } from './storefront.csrf.ts'

const hmacOf = (csrfSecret: string, sessionToken?: string) =>
  createHmac('sha256', `${csrfSecret}|${sessionToken ?? ''}`).update('brisk-storefront-csrf').digest('base64url')

test('a remembered CSRF token is the HMAC of the visitor’s secrets, before and after the memory is full', () => {
  const visitors = Array.from({ length: RECENT_CSRF_TOKENS + 50 }, (_, i) => ({
    csrfSecret: randomBytes(32).toString('base64url'),
    sessionToken: i % 2 === 0 ? undefined : `bcs_${randomBytes(32).toString('base64url')}`,
  }))
  for (const round of [1, 2]) {
    for (const visitor of visitors) assert.equal(csrfTokenOf(visitor), hmacOf(visitor.csrfSecret, visitor.sessionToken), `round ${round}`)
  }
  const [guest] = visitors
  assert.notEqual(csrfTokenOf({ ...guest!, sessionToken: 'bcs_signed-in' }), csrfTokenOf(guest!), 'signing in changes the token')
})
