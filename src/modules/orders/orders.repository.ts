import { sql } from 'kysely'
import { type RowOf, unnestRows } from '../../infra/db/columns.ts'
import type { Executor } from '../../infra/db/database.ts'
import { CART_LINE_QUANTITIES, CART_LINE_VALUES, SHIPPING_RATE_VALUES } from './orders.tables.ts'

/** Whose cart: a guest's, by its token's hash, or a customer's. */
export type CartOwner = { tokenHash: string } | { customerId: number }

export type NewCartLine = RowOf<typeof CART_LINE_VALUES>
export type CartLineQuantity = RowOf<typeof CART_LINE_QUANTITIES>
export type NewShippingRate = RowOf<typeof SHIPPING_RATE_VALUES>

const CART_COLUMNS = ['id', 'expires_at', 'updated_at'] as const

export function insertGuestCart(db: Executor, values: { tokenHash: string; expiresAt: Date }) {
  return db
    .insertInto('cart')
    .values({ token_hash: values.tokenHash, expires_at: values.expiresAt })
    .returning(CART_COLUMNS)
    .executeTakeFirstOrThrow()
}

/** A guest cart with its first lines, in one statement; the lines come back oldest first. */
export async function insertGuestCartWithLines(db: Executor, values: { tokenHash: string; expiresAt: Date }, lines: readonly NewCartLine[]) {
  const { rows } = await sql<{ id: number; expires_at: Date; updated_at: Date; lines: { id: number; product_id: number; unit: string; quantity: string }[] }>`/* prepared */
    with c as (
      insert into cart (token_hash, expires_at) values (${values.tokenHash}, ${values.expiresAt}) returning id, expires_at, updated_at
    ), l as (
      insert into cart_line (cart_id, product_id, unit, quantity)
      select c.id, a.product_id, a.unit, a.quantity from c cross join ${unnestRows(CART_LINE_VALUES, lines, { alias: 'a', ordinality: 'n' })}
      order by a.n
      returning id, product_id, unit, quantity
    )
    select c.id, c.expires_at, c.updated_at,
      coalesce((select json_agg(json_build_object('id', l.id, 'product_id', l.product_id, 'unit', l.unit, 'quantity', l.quantity::text)
        order by l.id) from l), '[]') as lines
    from c`.execute(db)
  return rows[0]!
}

/** The customer's open cart, created if they have none; its expiry moved forward either way. */
export function upsertCustomerCart(db: Executor, values: { customerId: number; expiresAt: Date }) {
  return db
    .insertInto('cart')
    .values({ customer_id: values.customerId, expires_at: values.expiresAt })
    .onConflict((oc) =>
      oc
        .column('customer_id')
        .where('customer_id', 'is not', null)
        .doUpdateSet({ expires_at: values.expiresAt, updated_at: sql<Date>`now()` }),
    )
    .returning(CART_COLUMNS)
    .executeTakeFirstOrThrow()
}

/** A customer's cart that expired and was not pruned yet: gone before a write would revive it. */
export function deleteExpiredCustomerCart(db: Executor, customerId: number) {
  return db.deleteFrom('cart').where('customer_id', '=', customerId).where('expires_at', '<=', sql<Date>`now()`).executeTakeFirst()
}

/**
 * Moves a live cart's expiry forward and locks it for the rest of the transaction; undefined when
 * the owner has no cart that has not expired.
 */
export function touchCart(db: Executor, owner: CartOwner, expiresAt: Date) {
  return db
    .updateTable('cart')
    .set({ expires_at: expiresAt, updated_at: sql<Date>`now()` })
    .$if('tokenHash' in owner, (qb) => qb.where('token_hash', '=', (owner as { tokenHash: string }).tokenHash))
    .$if('customerId' in owner, (qb) => qb.where('customer_id', '=', (owner as { customerId: number }).customerId))
    .where('expires_at', '>', sql<Date>`now()`)
    .returning(CART_COLUMNS)
    .executeTakeFirst()
}

/** A live cart and its lines (none: one row with null line columns), oldest line first. */
export function findCartWithLines(db: Executor, owner: CartOwner) {
  return db
    .selectFrom('cart as c')
    .leftJoin('cart_line as l', 'l.cart_id', 'c.id')
    .select(['c.id', 'c.expires_at', 'c.updated_at', 'l.id as line_id', 'l.product_id', 'l.unit', 'l.quantity'])
    .$if('tokenHash' in owner, (qb) => qb.where('c.token_hash', '=', (owner as { tokenHash: string }).tokenHash))
    .$if('customerId' in owner, (qb) => qb.where('c.customer_id', '=', (owner as { customerId: number }).customerId))
    .where('c.expires_at', '>', sql<Date>`now()`)
    .orderBy('l.id')
    .execute()
}

export function listCartLines(db: Executor, cartId: number) {
  return db.selectFrom('cart_line').select(['id', 'product_id', 'unit', 'quantity']).where('cart_id', '=', cartId).orderBy('id').execute()
}

/** The ids removed: a line of another cart is not. */
export async function removeCartLines(db: Executor, cartId: number, lineIds: readonly number[]): Promise<number[]> {
  const rows = await db
    .deleteFrom('cart_line')
    .where('cart_id', '=', cartId)
    .where('id', '=', sql<number>`any(${sql.val(lineIds)}::bigint[])`)
    .returning('id')
    .execute()
  return rows.map((r) => r.id)
}

/** Sets the lines' quantities in one statement; the ids changed (a line of another cart is not). */
export async function changeCartLineQuantities(db: Executor, cartId: number, changes: readonly CartLineQuantity[]): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    update cart_line l set quantity = c.quantity
    from ${unnestRows(CART_LINE_QUANTITIES, changes, { alias: 'c' })}
    where l.id = c.id and l.cart_id = ${cartId}
    returning l.id`.execute(db)
  return rows.map((r) => r.id)
}

/**
 * Adds lines in one statement; a product already in the cart in the same unit gets the quantity
 * added to its line. The caller sends each (product, unit) once: ON CONFLICT may touch a row once.
 */
export async function addCartLines(db: Executor, cartId: number, lines: readonly NewCartLine[]): Promise<void> {
  await sql`
    insert into cart_line (cart_id, product_id, unit, quantity)
    select ${cartId}::bigint, a.product_id, a.unit, a.quantity
    from ${unnestRows(CART_LINE_VALUES, lines, { alias: 'a' })}
    on conflict (cart_id, product_id, unit) do update set quantity = cart_line.quantity + excluded.quantity`.execute(db)
}

export function deleteAllCartLines(db: Executor, cartId: number) {
  return db.deleteFrom('cart_line').where('cart_id', '=', cartId).executeTakeFirst()
}

/**
 * Moves a guest cart's lines into another cart (quantities of the same product and unit added),
 * then deletes the guest cart, in one statement.
 */
export async function mergeCartInto(db: Executor, fromCartId: number, intoCartId: number): Promise<void> {
  await sql`
    with moved as (
      insert into cart_line (cart_id, product_id, unit, quantity)
      select ${intoCartId}::bigint, product_id, unit, quantity from cart_line where cart_id = ${fromCartId}
      on conflict (cart_id, product_id, unit) do update set quantity = cart_line.quantity + excluded.quantity
    )
    delete from cart where id = ${fromCartId}`.execute(db)
}

/** Deletes up to `batchSize` expired carts (their lines cascade) and answers how many. */
export async function deleteExpiredCarts(db: Executor, batchSize: number): Promise<number> {
  const result = await sql`
    delete from cart
    where id in (select id from cart where expires_at <= now() order by expires_at limit ${batchSize} for update skip locked)
      and expires_at <= now()`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}

const SHIPPING_METHOD_COLUMNS = ['id', 'code', 'name', 'active', 'position', 'created_at', 'updated_at'] as const

/** Methods with their rates, one row per rate (a method without any: one row with null rate columns), in display order. */
export function listShippingMethodsWithRates(db: Executor, methodId?: number) {
  return db
    .selectFrom('shipping_method as m')
    .leftJoin('shipping_rate as r', 'r.shipping_method_id', 'm.id')
    .select([...SHIPPING_METHOD_COLUMNS.map((c) => `m.${c}` as const), 'r.country', 'r.price', 'r.free_over'])
    .$if(methodId !== undefined, (qb) => qb.where('m.id', '=', methodId as number))
    .orderBy('m.position')
    .orderBy('m.id')
    .orderBy('r.country')
    .execute()
}

/** A method and its rates in one statement; undefined, and nothing written, when the code is taken. */
export async function insertShippingMethod(
  db: Executor,
  method: { code: string; name: string; active: boolean; position: number },
  rates: readonly NewShippingRate[],
) {
  const { rows } = await sql<{ id: number; code: string; name: string; active: boolean; position: number; created_at: Date; updated_at: Date }>`
    with m as (
      insert into shipping_method (code, name, active, position)
      values (${method.code}, ${method.name}, ${method.active}, ${method.position})
      on conflict (code) do nothing
      returning id, code, name, active, position, created_at, updated_at
    ), rates as (
      insert into shipping_rate (shipping_method_id, country, price, free_over)
      select m.id, r.country, r.price, r.free_over from m cross join ${unnestRows(SHIPPING_RATE_VALUES, rates, { alias: 'r' })}
    )
    select * from m`.execute(db)
  return rows[0]
}

/** Changes the fields given and locks the row for the rest of the transaction; undefined when there is no such method. */
export function updateShippingMethod(db: Executor, id: number, changes: { name?: string; active?: boolean; position?: number }) {
  return db
    .updateTable('shipping_method')
    .set({ ...changes, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returning(SHIPPING_METHOD_COLUMNS)
    .executeTakeFirst()
}

/**
 * Makes the method's rates exactly `rates` in one statement: the countries not named are deleted,
 * the others inserted or updated (the two parts touch different rows, so one snapshot suffices).
 */
export async function replaceShippingRates(db: Executor, methodId: number, rates: readonly NewShippingRate[]): Promise<void> {
  await sql`
    with gone as (
      delete from shipping_rate where shipping_method_id = ${methodId} and country <> all(${sql.val(rates.map((r) => r.country))}::text[])
    )
    insert into shipping_rate (shipping_method_id, country, price, free_over)
    select ${methodId}::bigint, r.country, r.price, r.free_over from ${unnestRows(SHIPPING_RATE_VALUES, rates, { alias: 'r' })}
    on conflict (shipping_method_id, country) do update set price = excluded.price, free_over = excluded.free_over`.execute(db)
}

/** The active methods serving `country` with the rate that applies: the country's own, else the '*' rate. */
export async function findShippingRatesForCountry(db: Executor, country: string) {
  const { rows } = await sql<{ code: string; name: string; price: string; free_over: string | null }>`
    select m.code, m.name, r.price, r.free_over
    from shipping_method m
    join lateral (
      select price, free_over from shipping_rate
      where shipping_method_id = m.id and country in (${country}, '*')
      order by country = '*' limit 1
    ) r on true
    where m.active
    order by m.position, m.id`.execute(db)
  return rows
}
