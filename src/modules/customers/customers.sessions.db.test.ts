import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { expectQueries, statementsOf } from '../../../test/expect-queries.ts'
import { createToken } from '../../../test/factories.ts'
import type { BriskApp } from '../../app.ts'
import { hashPassword } from './customers.passwords.ts'
import { newAccount, openApp, sender, signUp } from './customers.test-support.ts'

const CUSTOMER_KEYS = ['createdAt', 'email', 'id', 'name', 'updatedAt']

describeEachDatabase('customers: sign-up, sign-in, sessions', (ctx) => {
  let app: BriskApp
  before(async () => {
    app = await openApp(ctx.db)
  })
  after(async () => {
    await app?.close()
  })
  const send = sender(() => app)

  test('sign up, sign in, read me, sign out: the signed-out session is refused', async () => {
    const account = newAccount()
    const created = await send('POST', '/api/store/customers', undefined, account)
    assert.equal(created.statusCode, 201, created.body)
    assert.equal(created.headers['cache-control'], 'no-store')
    const signedUp = created.json()
    assert.match(signedUp.token, /^bcs_[\w-]{43}$/)
    assert.deepEqual(Object.keys(signedUp.customer).sort(), CUSTOMER_KEYS, 'never the password or its hash')
    assert.equal(signedUp.customer.email, account.email)
    const days = (Date.parse(signedUp.expiresAt) - Date.now()) / 86_400_000
    assert.ok(days > 29.9 && days <= 30, `a session lasts 30 days (${days})`)

    const signedIn = await send('POST', '/api/store/sessions', undefined, { email: account.email, password: account.password })
    assert.equal(signedIn.statusCode, 201, signedIn.body)
    assert.equal(signedIn.headers['cache-control'], 'no-store')
    const { token, customer } = signedIn.json()
    assert.notEqual(token, signedUp.token)
    assert.deepEqual(customer, signedUp.customer)

    const me = await send('GET', '/api/store/me', token)
    assert.equal(me.statusCode, 200, me.body)
    assert.deepEqual(me.json(), signedUp.customer)
    assert.equal((await send('DELETE', '/api/store/sessions/current', token)).statusCode, 204)
    const gone = await send('GET', '/api/store/me', token)
    assert.equal(gone.statusCode, 401, gone.body)
    assert.equal(gone.json().error.code, 'CUSTOMERS_UNAUTHENTICATED')
    assert.equal((await send('GET', '/api/store/me', signedUp.token)).statusCode, 200, 'the other session lives on')

    const stored = await ctx.db.primary.selectFrom('customer').selectAll().executeTakeFirstOrThrow()
    assert.match(stored.password_hash, /^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
    const sessions = await ctx.db.primary.selectFrom('customer_session').select(['token_hash', 'revoked_at']).orderBy('id').execute()
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
    assert.deepEqual(
      sessions.map((s) => [s.token_hash, s.revoked_at !== null]),
      [
        [sha256(signedUp.token), false],
        [sha256(token), true],
      ],
      'sessions are stored as hashes; signing out revokes the one it was sent with',
    )
  })

  test('an email is taken whatever its case, and signs in whatever its case', async () => {
    const account = { ...newAccount(), email: 'Grace.Hopper@Example.com' }
    await signUp(app, account)
    const again = await send('POST', '/api/store/customers', undefined, { ...newAccount(), email: 'grace.hopper@EXAMPLE.COM' })
    assert.equal(again.statusCode, 409, again.body)
    assert.equal(again.json().error.code, 'CUSTOMERS_EMAIL_TAKEN')
    const signedIn = await send('POST', '/api/store/sessions', undefined, { email: 'GRACE.hopper@example.com', password: account.password })
    assert.equal(signedIn.statusCode, 201, signedIn.body)
    assert.equal(signedIn.json().customer.email, 'Grace.Hopper@Example.com', 'kept as typed')
    const rows = await ctx.db.primary.selectFrom('customer').select('id').execute()
    assert.equal(rows.length, 1)
    assert.equal((await ctx.db.primary.selectFrom('customer_session').select('id').execute()).length, 2, 'no session for the refused sign-up')
  })

  test('an unknown email and a wrong password get the very same answer', async () => {
    const account = await signUp(app)
    const wrongPassword = await send('POST', '/api/store/sessions', undefined, { email: account.email, password: 'not the password' })
    const unknownEmail = await send('POST', '/api/store/sessions', undefined, { email: 'nobody@example.com', password: account.password })
    assert.equal(wrongPassword.statusCode, 401)
    assert.equal(unknownEmail.statusCode, 401)
    assert.equal(wrongPassword.body, unknownEmail.body)
    assert.equal(wrongPassword.json().error.code, 'CUSTOMERS_SIGN_IN_FAILED')
    assert.equal((await ctx.db.primary.selectFrom('customer_session').select('id').execute()).length, 1, 'only the sign-up session')
  })

  test('an expired, revoked, unknown or malformed session is refused; staff and shopper tokens do not mix', async () => {
    const expired = await signUp(app)
    await ctx.db.primary.updateTable('customer_session').set({ expires_at: sql<Date>`now() - interval '1 second'` }).execute()
    const refused = await send('GET', '/api/store/me', expired.token)
    assert.equal(refused.statusCode, 401, refused.body)
    assert.equal(refused.json().error.code, 'CUSTOMERS_UNAUTHENTICATED')
    for (const token of [`bcs_${'A'.repeat(43)}`, 'bcs_short']) {
      assert.equal((await send('GET', '/api/store/me', token)).statusCode, 401, token)
    }
    const stale = await app.http.inject({
      method: 'POST',
      url: '/api/store/sessions',
      headers: { authorization: `Bearer ${expired.token}` },
      payload: { email: expired.email, password: expired.password },
    })
    assert.equal(stale.statusCode, 201, `signing in with a stale token sent along works: ${stale.body}`)

    const staff = await createToken(ctx.db, 'admin')
    const staffAsShopper = await send('GET', '/api/store/me', staff.token)
    assert.equal(staffAsShopper.statusCode, 401, staffAsShopper.body)
    assert.equal(staffAsShopper.json().error.code, 'CUSTOMERS_UNAUTHENTICATED')
    const shopperAsStaff = await send('GET', '/api/tokens', stale.json().token)
    assert.equal(shopperAsStaff.statusCode, 401, shopperAsStaff.body)
    assert.equal(shopperAsStaff.json().error.code, 'ACCESS_UNAUTHENTICATED')
  })

  test('a new password needs the current one and signs every other session out', async () => {
    const account = await signUp(app)
    const other = (await send('POST', '/api/store/sessions', undefined, { email: account.email, password: account.password })).json()
    const newPassword = 'a much better passphrase'
    const missing = await send('PATCH', '/api/store/me', account.token, { newPassword })
    assert.equal(missing.statusCode, 422, missing.body)
    assert.equal(missing.json().error.code, 'CUSTOMERS_CURRENT_PASSWORD_REQUIRED')
    const wrong = await send('PATCH', '/api/store/me', account.token, { newPassword, currentPassword: 'not the password' })
    assert.equal(wrong.statusCode, 403, wrong.body)
    assert.equal(wrong.json().error.code, 'CUSTOMERS_WRONG_PASSWORD')
    const short = await send('PATCH', '/api/store/me', account.token, { newPassword: 'short', currentPassword: account.password })
    assert.equal(short.statusCode, 400, short.body)
    assert.ok(!short.body.includes('short"'), 'a refused password is not echoed')
    assert.equal((await send('GET', '/api/store/me', other.token)).statusCode, 200, 'refused changes sign nobody out')

    const changed = await send('PATCH', '/api/store/me', account.token, { name: 'Ada King', newPassword, currentPassword: account.password })
    assert.equal(changed.statusCode, 200, changed.body)
    assert.equal(changed.json().name, 'Ada King')
    assert.deepEqual(Object.keys(changed.json()).sort(), CUSTOMER_KEYS)
    assert.equal((await send('GET', '/api/store/me', account.token)).statusCode, 200, 'the session that changed it stays')
    assert.equal((await send('GET', '/api/store/me', other.token)).statusCode, 401, 'every other session is signed out')
    const signIn = (password: string) => send('POST', '/api/store/sessions', undefined, { email: account.email, password })
    assert.equal((await signIn(account.password)).statusCode, 401)
    assert.equal((await signIn(newPassword)).statusCode, 201)

    const renamed = await send('PATCH', '/api/store/me', account.token, { name: 'Ada' })
    assert.equal(renamed.statusCode, 200, renamed.body)
    assert.equal(renamed.json().name, 'Ada')
    const empty = await send('PATCH', '/api/store/me', account.token, {})
    assert.equal(empty.statusCode, 400, empty.body)
  })

  test('signing in upgrades a hash made with older parameters, once', async () => {
    const account = await signUp(app)
    const older = await hashPassword(account.password, { N: 2 ** 14, r: 8, p: 1 })
    await ctx.db.primary.updateTable('customer').set({ password_hash: older }).where('id', '=', account.id).execute()
    const credentials = { email: account.email, password: account.password }
    const first = await send('POST', '/api/store/sessions', undefined, credentials)
    assert.equal(first.statusCode, 201, first.body)
    assert.equal(statementsOf(first), 3, 'the new hash is stored')
    const stored = await ctx.db.primary.selectFrom('customer').select('password_hash').where('id', '=', account.id).executeTakeFirstOrThrow()
    assert.match(stored.password_hash, /^scrypt\$32768\$8\$1\$/)
    assert.equal(statementsOf(await send('POST', '/api/store/sessions', undefined, credentials)), 2, 'and only once')
  })

  test('sign-in and an authenticated read take a small, constant number of statements', async () => {
    const account = await signUp(app)
    const credentials = { email: account.email, password: account.password }
    const signedIn = await send('POST', '/api/store/sessions', undefined, credentials)
    assert.equal(statementsOf(signedIn), 2, 'find the customer, insert the session')
    assert.equal(statementsOf(await send('GET', '/api/store/me', account.token)), 1, 'the session lookup reads the customer too')
    assert.equal(statementsOf(await send('POST', '/api/store/sessions', undefined, { ...credentials, password: 'wrong password' })), 1)
    await expectQueries(2, () => app.services.customers.signIn(credentials))
    const session = await expectQueries(1, () => app.services.customers.authenticateSession(account.token))
    assert.equal(session?.customer.id, account.id)
    await expectQueries(0, async () => app.services.customers.getMe(session!))
    assert.equal(await expectQueries(0, () => app.services.customers.authenticateSession('bcs_malformed')), null)
  })
})
