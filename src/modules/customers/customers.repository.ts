import { sql } from 'kysely'
import type { Executor } from '../../infra/db/database.ts'
import type { CustomerAddressTable } from './customers.tables.ts'

/** What a customer row shows outside the service: never the password hash. */
const CUSTOMER_COLUMNS = ['id', 'email', 'name', 'created_at', 'updated_at'] as const
const ADDRESS_COLUMNS = [
  'id',
  'label',
  'name',
  'line1',
  'line2',
  'city',
  'postal_code',
  'country',
  'phone',
  'is_default',
  'created_at',
] as const

export type AddressValues = Omit<CustomerAddressTable, 'id' | 'customer_id' | 'created_at' | 'is_default'> & { is_default: boolean }

/**
 * Creates a customer and its first session in one statement. Undefined when the email is taken,
 * whatever its case (the unique index on lower(email)).
 */
export function insertCustomerWithSession(
  db: Executor,
  values: { email: string; name: string; passwordHash: string; tokenHash: string; expiresAt: Date },
) {
  return db
    .with('created', (qb) =>
      qb
        .insertInto('customer')
        .values({ email: values.email, name: values.name, password_hash: values.passwordHash })
        .onConflict((oc) => oc.expression(sql`lower(email)`).doNothing())
        .returning(CUSTOMER_COLUMNS),
    )
    .with('session', (qb) =>
      qb
        .insertInto('customer_session')
        .columns(['customer_id', 'token_hash', 'expires_at'])
        .expression((eb) =>
          eb
            .selectFrom('created')
            .select(['id', sql<string>`${values.tokenHash}::text`.as('token_hash'), sql<Date>`${values.expiresAt}::timestamptz`.as('expires_at')]),
        )
        .returning(['id as session_id', 'expires_at']),
    )
    .selectFrom(['created', 'session'])
    .selectAll()
    .executeTakeFirst()
}

/** The customer an email names, whatever its case, with the hash sign-in checks. */
export function findCustomerForSignIn(db: Executor, email: string) {
  return db
    .selectFrom('customer')
    .select([...CUSTOMER_COLUMNS, 'password_hash'])
    .where(sql<string>`lower(email)`, '=', sql<string>`lower(${email})`)
    .executeTakeFirst()
}

export function insertSession(db: Executor, values: { customerId: number; tokenHash: string; expiresAt: Date }) {
  return db
    .insertInto('customer_session')
    .values({ customer_id: values.customerId, token_hash: values.tokenHash, expires_at: values.expiresAt })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow()
}

/** The customer of a live session (neither revoked nor expired) and the session's id. */
export function findSessionCustomer(db: Executor, tokenHash: string) {
  return db
    .selectFrom('customer_session as s')
    .innerJoin('customer as c', 'c.id', 's.customer_id')
    .select(['s.id as session_id', 'c.id', 'c.email', 'c.name', 'c.created_at', 'c.updated_at'])
    .where('s.token_hash', '=', tokenHash)
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst()
}

/** Revoking twice keeps the first revocation time. */
export function revokeSession(db: Executor, sessionId: number) {
  return db
    .updateTable('customer_session')
    .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
    .where('id', '=', sessionId)
    .executeTakeFirst()
}

/** Signs a customer out everywhere but the session `keepSessionId`. */
export function revokeOtherSessions(db: Executor, customerId: number, keepSessionId: number) {
  return db
    .updateTable('customer_session')
    .set({ revoked_at: sql<Date>`now()` })
    .where('customer_id', '=', customerId)
    .where('id', '<>', keepSessionId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
}

/** Locks the customer's row: default-address changes of one customer run one at a time. */
export function lockCustomer(db: Executor, customerId: number) {
  return db.selectFrom('customer').select('id').where('id', '=', customerId).forUpdate().executeTakeFirst()
}

export function findPasswordHash(db: Executor, customerId: number) {
  return db.selectFrom('customer').select('password_hash').where('id', '=', customerId).executeTakeFirst()
}

/**
 * Changes the name and/or the password hash. With `ifPasswordHash`, only while the stored hash is
 * still that one (undefined otherwise): a password checked against it has not changed meanwhile.
 */
export function updateCustomer(
  db: Executor,
  customerId: number,
  values: { name?: string; passwordHash?: string; ifPasswordHash?: string },
) {
  return db
    .updateTable('customer')
    .set({
      ...(values.name === undefined ? {} : { name: values.name }),
      ...(values.passwordHash === undefined ? {} : { password_hash: values.passwordHash }),
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', customerId)
    .$if(values.ifPasswordHash !== undefined, (qb) => qb.where('password_hash', '=', values.ifPasswordHash!))
    .returning(CUSTOMER_COLUMNS)
    .executeTakeFirst()
}

/** Replaces a hash made with older parameters, unless the password changed meanwhile. */
export function replacePasswordHash(db: Executor, customerId: number, values: { previous: string; next: string }) {
  return db
    .updateTable('customer')
    .set({ password_hash: values.next })
    .where('id', '=', customerId)
    .where('password_hash', '=', values.previous)
    .executeTakeFirst()
}

export function listAddresses(db: Executor, customerId: number) {
  return db.selectFrom('customer_address').select(ADDRESS_COLUMNS).where('customer_id', '=', customerId).orderBy('id').execute()
}

export function insertAddress(db: Executor, customerId: number, values: AddressValues) {
  return db
    .insertInto('customer_address')
    .values({ ...values, customer_id: customerId })
    .returning(ADDRESS_COLUMNS)
    .executeTakeFirstOrThrow()
}

/** Undefined when the customer has no such address (another customer's included). */
export function updateAddress(db: Executor, customerId: number, addressId: number, values: Partial<AddressValues>) {
  return db
    .updateTable('customer_address')
    .set(values)
    .where('id', '=', addressId)
    .where('customer_id', '=', customerId)
    .returning(ADDRESS_COLUMNS)
    .executeTakeFirst()
}

/** Makes none of the customer's addresses the default, but `exceptId` keeps its own flag. */
export function clearDefaultAddress(db: Executor, customerId: number, exceptId: number | null) {
  return db
    .updateTable('customer_address')
    .set({ is_default: false })
    .where('customer_id', '=', customerId)
    .where('is_default', '=', true)
    .where('id', '<>', exceptId ?? 0)
    .executeTakeFirst()
}

/** The number of rows deleted: 0 when the customer has no such address. */
export async function deleteAddress(db: Executor, customerId: number, addressId: number): Promise<number> {
  const result = await db.deleteFrom('customer_address').where('id', '=', addressId).where('customer_id', '=', customerId).executeTakeFirst()
  return Number(result.numDeletedRows)
}
