import { createHash, randomBytes } from 'node:crypto'
import type { Db } from '../../infra/db/database.ts'
import { AppError, conflict, forbidden, invalid } from '../../infra/errors.ts'
import { createAddressBook } from './customers.addresses.ts'
import { dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from './customers.passwords.ts'
import * as repo from './customers.repository.ts'

/** A session lasts this long from sign-in; signing in again starts a new one. */
export const SESSION_DAYS = 30
const SESSION_TOKEN_PREFIX = 'bcs_'
const SESSION_TOKEN = /^bcs_[\w-]{43}$/

/** A shopper's account as the API shows it: never the password hash. */
export interface Customer {
  id: number
  email: string
  name: string
  createdAt: string
  updatedAt: string
}

/** The signed-in customer of a request and the session it came with. */
export interface CustomerSession {
  sessionId: number
  customer: Customer
}

/** A new session: the token is shown in this answer only and stored as a hash. */
export interface IssuedSession {
  token: string
  customer: Customer
  expiresAt: string
}

export interface SignUpInput {
  email: string
  name: string
  password: string
}

export interface SignInInput {
  email: string
  password: string
  /** a guest cart to merge into the customer's on sign-in */
  cartToken?: string | undefined
}

export interface CustomersOptions {
  /** Moves a guest cart into the customer's (the orders module's); an unknown token is ignored. */
  mergeGuestCart?: (customerId: number, cartToken: string) => Promise<unknown>
}

export interface UpdateMeInput {
  name?: string
  currentPassword?: string
  newPassword?: string
}

/** Shopper session tokens: the staff authentication leaves them to the customers' own hook. */
export function isCustomerSessionToken(token: string): boolean {
  return token.startsWith(SESSION_TOKEN_PREFIX)
}

function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

function newSession(): { token: string; tokenHash: string; expiresAt: Date } {
  const token = SESSION_TOKEN_PREFIX + randomBytes(32).toString('base64url')
  return { token, tokenHash: hashSessionToken(token), expiresAt: new Date(Date.now() + SESSION_DAYS * 86_400_000) }
}

export function toCustomer(row: { id: number; email: string; name: string; created_at: Date; updated_at: Date }): Customer {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

export function customerUnauthenticated(message: string): AppError {
  return new AppError('unauthenticated', 'CUSTOMERS_UNAUTHENTICATED', message)
}

/** One answer for an unknown email and a wrong password, so sign-in never tells which emails exist. */
const signInFailed = () => new AppError('unauthenticated', 'CUSTOMERS_SIGN_IN_FAILED', 'The email or the password is wrong.')

export function createCustomersService(db: Db, options: CustomersOptions = {}) {
  async function signUp(input: SignUpInput): Promise<IssuedSession> {
    const passwordHash = await hashPassword(input.password)
    const session = newSession()
    const row = await repo.insertCustomerWithSession(db.primary, { email: input.email, name: input.name, passwordHash, ...session })
    if (!row) throw conflict('CUSTOMERS_EMAIL_TAKEN', 'An account with this email exists: sign in instead.')
    return { token: session.token, customer: toCustomer(row), expiresAt: row.expires_at.toISOString() }
  }

  async function signIn(input: SignInInput): Promise<IssuedSession> {
    // An unknown email is checked against a dummy hash: it takes as long as a wrong password (made
    // before the lookup, so the first sign-in of a process does not tell them apart either).
    const dummy = await dummyPasswordHash()
    const row = await repo.findCustomerForSignIn(db.primary, input.email)
    const matches = await verifyPassword(input.password, row?.password_hash ?? dummy)
    if (!row || !matches) throw signInFailed()
    if (needsRehash(row.password_hash)) {
      const next = await hashPassword(input.password)
      await repo.replacePasswordHash(db.primary, row.id, { previous: row.password_hash, next })
    }
    // only once the password checked out: a failed sign-in touches no cart; and before the session
    // is made, so a merge that fails leaves no session behind that the caller never received
    if (input.cartToken !== undefined) await options.mergeGuestCart?.(row.id, input.cartToken)
    const session = newSession()
    const created = await repo.insertSession(db.primary, { customerId: row.id, ...session })
    return { token: session.token, customer: toCustomer(row), expiresAt: created.expires_at.toISOString() }
  }

  /**
   * The customer a session token names; null when it is malformed, unknown, expired or revoked.
   * The one lookup for a token, whether it came as a bearer token or (later) as a cookie. Read from
   * the primary: a lagging replica would keep a revoked session alive.
   */
  async function authenticateSession(token: string): Promise<CustomerSession | null> {
    if (!SESSION_TOKEN.test(token)) return null
    const row = await repo.findSessionCustomer(db.primary, hashSessionToken(token))
    return row ? { sessionId: row.session_id, customer: toCustomer(row) } : null
  }

  async function signOut(caller: CustomerSession): Promise<void> {
    await repo.revokeSession(db.primary, caller.sessionId)
  }

  /**
   * A new password needs the current one, and signs the customer out of every other session: whoever
   * may have learnt the old password is shut out.
   */
  async function updateMe(caller: CustomerSession, input: UpdateMeInput): Promise<Customer> {
    const customerId = caller.customer.id
    if (input.newPassword === undefined) {
      if (input.currentPassword !== undefined) {
        throw invalid('CUSTOMERS_NEW_PASSWORD_REQUIRED', 'currentPassword is only needed with newPassword.')
      }
      if (input.name === undefined) return caller.customer
      const row = await repo.updateCustomer(db.primary, customerId, { name: input.name })
      if (!row) throw customerUnauthenticated('This account no longer exists.')
      return toCustomer(row)
    }
    const { currentPassword, newPassword } = input
    if (currentPassword === undefined) {
      throw invalid('CUSTOMERS_CURRENT_PASSWORD_REQUIRED', 'Changing the password needs the current one in currentPassword.')
    }
    // scrypt runs outside the transaction (PGlite serializes transactions, PostgreSQL would hold a
    // row lock); the update then applies only if the hash checked is still the stored one.
    const stored = await repo.findPasswordHash(db.primary, customerId)
    if (!stored || !(await verifyPassword(currentPassword, stored.password_hash))) {
      throw forbidden('CUSTOMERS_WRONG_PASSWORD', 'The current password is wrong.')
    }
    const passwordHash = await hashPassword(newPassword)
    const name = input.name === undefined ? {} : { name: input.name }
    return db.primary.transaction().execute(async (trx) => {
      const row = await repo.updateCustomer(trx, customerId, { ...name, passwordHash, ifPasswordHash: stored.password_hash })
      if (!row) throw conflict('CUSTOMERS_PASSWORD_CHANGED', 'The password was changed meanwhile: sign in again with the new one.')
      await repo.revokeOtherSessions(trx, customerId, caller.sessionId)
      return toCustomer(row)
    })
  }

  return {
    signUp,
    signIn,
    signOut,
    authenticateSession,
    /** The caller's account as its session lookup read it: no further statement. */
    getMe: (caller: CustomerSession): Customer => caller.customer,
    updateMe,
    ...createAddressBook(db),
  }
}

export type CustomersService = ReturnType<typeof createCustomersService>
