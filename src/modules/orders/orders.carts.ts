/**
 * Carts: a guest's, found by an unguessable token sent in the Brisk-Cart-Token header (stored
 * only as its SHA-256), or a signed-in customer's, found by the customer. A write is one
 * transaction with a constant number of statements whatever the number of lines, and moves the
 * cart's expiry forward; an expired cart is not found, and answers exactly as an unknown token.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Db, Executor } from '../../infra/db/database.ts'
import { type Big, decimalString, parseDecimal, QUANTITY_LIMITS, readDecimal } from '../../infra/decimal.ts'
import { AppError, invalid, notFound } from '../../infra/errors.ts'
import { type CatalogCache, fieldOf, namesForMessage, type ResolvedLine, resolveLines, sellableLinesFromCache, withFields } from '../catalog/index.ts'
import { type PricedCart, priceCart } from './orders.pricing.ts'
import * as repo from './orders.repository.ts'

const CART_TOKEN_PREFIX = 'bct_'
const CART_TOKEN = /^bct_[\w-]{43}$/
const HOUR_MS = 3_600_000

/** A cart line holds above zero, at most a million, at most the 6 decimals the column keeps. */
export const CART_QUANTITY_LIMITS = { ...QUANTITY_LIMITS, min: '0.000001' }

/** Who asks: the cart token the request carries, and its signed-in customer. The token wins. */
export interface CartCaller {
  cartToken?: string | undefined
  customerId?: number | undefined
}

export interface AddLineInput {
  productId?: number | undefined
  sku?: string | undefined
  unit?: string | undefined
  quantity: string | number
}

export interface UpdateCartInput {
  add?: readonly AddLineInput[] | undefined
  change?: readonly { lineId: number; quantity: string | number }[] | undefined
  remove?: readonly number[] | undefined
}

/** A new cart: its token for a guest (shown in this answer only), null for a customer's. */
export interface CreatedCart {
  token: string | null
  cart: PricedCart
}

export const hashCartToken = (token: string) => createHash('sha256').update(token).digest('hex')

/** One answer for an unknown, malformed, expired or missing token: it never tells a cart exists. */
export const cartNotFound = () =>
  notFound(
    'ORDERS_CART_NOT_FOUND',
    'No such cart: send the token from POST /api/store/carts in the Brisk-Cart-Token header, or sign in. Carts expire when left alone.',
  )

export function ownerOf(caller: CartCaller): repo.CartOwner | undefined {
  if (caller.cartToken !== undefined) return CART_TOKEN.test(caller.cartToken) ? { tokenHash: hashCartToken(caller.cartToken) } : undefined
  return caller.customerId === undefined ? undefined : { customerId: caller.customerId }
}

/** The request's checks that need no statement: quantities, and each line id named once. */
function checkUpdate(input: UpdateCartInput): void {
  const quantities = [
    ...(input.add ?? []).map((l, i) => [l.quantity, `add[${i}].quantity`] as const),
    ...(input.change ?? []).map((c, i) => [c.quantity, `change[${i}].quantity`] as const),
  ]
  for (const [quantity, path] of quantities) readDecimal(quantity, path, CART_QUANTITY_LIMITS, 'ORDERS_INVALID_QUANTITY')
  const named = [...(input.change ?? []).map((c, i) => ({ path: `change[${i}].lineId`, id: c.lineId })), ...(input.remove ?? []).map((id, i) => ({ path: `remove[${i}]`, id }))]
  const seen = new Set<number>()
  const twice = named.filter(({ id }) => seen.has(id) || !seen.add(id))
  if (twice.length > 0) {
    throw invalid('ORDERS_LINE_NAMED_TWICE', `${namesForMessage(twice.map((t) => t.path))}: a line may be changed or removed once per request.`, {
      lines: withFields(twice.map((t) => ({ path: t.path, lineId: t.id }))),
    })
  }
}

/**
 * The catalog's line errors as this request's: an unknown product or a unit the product is not
 * sold in is a 422 naming the line's field (`/add/2/unit`), not a 404 that reads like the cart's.
 */
function asCartLineError(error: unknown): unknown {
  if (!(error instanceof AppError)) return error
  const suffix = { CATALOG_UNKNOWN_PRODUCT: '', CATALOG_UNIT_NOT_CONVERTIBLE: '/unit' }[error.code as string]
  if (suffix === undefined) return error
  const details = error.details as { lines: { field: string; productId?: number }[] }
  const lines = details.lines.map((l) => ({ ...l, field: `${l.field}${suffix || ('productId' in l ? '/productId' : '/sku')}` }))
  const code = suffix === '' ? 'ORDERS_UNKNOWN_PRODUCT' : 'ORDERS_UNIT_NOT_SOLD'
  return invalid(code, error.message, { lines })
}

/** The added lines, one per (product, unit): ON CONFLICT may touch a row once per statement. */
async function newLinesOf(trx: Executor, add: readonly AddLineInput[]): Promise<repo.NewCartLine[]> {
  return sellableCartLines(
    await resolveLines(trx, add, 'add').catch((error: unknown) => {
      throw asCartLineError(error)
    }),
  )
}

/** A new cart's lines, resolved through the cache tiers (no statement when the products are cached). */
async function newLinesFromCache(catalog: CatalogCache, add: readonly AddLineInput[]): Promise<repo.NewCartLine[]> {
  checkUpdate({ add })
  return sellableCartLines(
    await sellableLinesFromCache(catalog, add, 'add').catch((error: unknown) => {
      throw asCartLineError(error)
    }),
  )
}

/** Active lines only, merged per (product, unit). */
function sellableCartLines(resolved: readonly ResolvedLine[]): repo.NewCartLine[] {
  const inactive = resolved.filter((r) => !r.active).map((r) => ({ path: `add[${r.index}]`, sku: r.sku }))
  if (inactive.length > 0) {
    throw invalid('ORDERS_PRODUCT_INACTIVE', `No longer sold: ${namesForMessage(inactive.map((l) => `${l.path} (${l.sku})`))}.`, {
      lines: withFields(inactive),
    })
  }
  const merged = new Map<string, { product_id: number; unit: string; quantity: Big }>()
  for (const r of resolved) {
    const key = `${r.productId} ${r.unit}`
    const line = merged.get(key)
    if (line) line.quantity = line.quantity.plus(r.quantity)
    else merged.set(key, { product_id: r.productId, unit: r.unit, quantity: r.quantity })
  }
  return [...merged.values()].map((l) => ({ ...l, quantity: decimalString(l.quantity) }))
}

/** Fails when a write found fewer lines of this cart than it named (another cart's included). */
function checkFound(named: readonly { path: string; id: number }[], found: readonly number[]): void {
  const ids = new Set(found)
  const missing = named.filter((n) => !ids.has(n.id))
  if (missing.length > 0) {
    throw notFound('ORDERS_CART_LINE_NOT_FOUND', `No such line in this cart: ${namesForMessage(missing.map((m) => `${m.path} (line ${m.id})`))}.`, {
      lines: missing.map((m) => ({ field: fieldOf(m.path), lineId: m.id })),
    })
  }
}

export function createCarts(db: Db, options: { catalog: CatalogCache; cartTtlHours: number }) {
  const { catalog } = options
  const expiresAt = () => new Date(Date.now() + options.cartTtlHours * HOUR_MS)

  /** The caller's live cart, its expiry moved forward and its row locked; a customer's is created if need be. */
  async function openCartForWrite(trx: Executor, owner: repo.CartOwner) {
    if ('tokenHash' in owner) {
      const cart = await repo.touchCart(trx, owner, expiresAt())
      if (!cart) throw cartNotFound()
      return cart
    }
    await repo.deleteExpiredCustomerCart(trx, owner.customerId)
    return repo.upsertCustomerCart(trx, { customerId: owner.customerId, expiresAt: expiresAt() })
  }

  /** A new cart, with its first lines when given (for a guest: one statement when the products are cached). */
  async function createCart(caller: CartCaller, lines: readonly AddLineInput[] = []): Promise<CreatedCart> {
    if (caller.customerId !== undefined && lines.length > 0) {
      return { token: null, cart: await updateCart({ customerId: caller.customerId }, { add: lines }) }
    }
    if (caller.customerId !== undefined) {
      const owner = { customerId: caller.customerId }
      const stored = await db.primary.transaction().execute(async (trx) => {
        const cart = await openCartForWrite(trx, owner)
        return { ...cart, lines: await repo.listCartLines(trx, cart.id) }
      })
      return { token: null, cart: await priceCart(catalog, stored) }
    }
    const token = CART_TOKEN_PREFIX + randomBytes(32).toString('base64url')
    const owner = { tokenHash: hashCartToken(token), expiresAt: expiresAt() }
    if (lines.length === 0) return { token, cart: await priceCart(catalog, { ...(await repo.insertGuestCart(db.primary, owner)), lines: [] }) }
    const cart = await repo.insertGuestCartWithLines(db.primary, owner, await newLinesFromCache(catalog, lines))
    return { token, cart: await priceCart(catalog, cart) }
  }

  /** Read from the primary: a cart is read right after its writes. */
  async function getCart(caller: CartCaller): Promise<PricedCart> {
    const owner = ownerOf(caller)
    if (!owner) throw cartNotFound()
    const rows = await repo.findCartWithLines(db.primary, owner)
    const first = rows[0]
    if (!first) throw cartNotFound()
    const lines = rows.flatMap((r) =>
      r.line_id === null || r.product_id === null || r.unit === null || r.quantity === null
        ? []
        : [{ id: r.line_id, product_id: r.product_id, unit: r.unit, quantity: r.quantity }],
    )
    return priceCart(catalog, { expires_at: first.expires_at, updated_at: first.updated_at, lines })
  }

  /** Removes, then changes, then adds (an add of a product and unit already there adds to its line); all or nothing. */
  async function updateCart(caller: CartCaller, input: UpdateCartInput): Promise<PricedCart> {
    const owner = ownerOf(caller)
    if (!owner) throw cartNotFound()
    checkUpdate(input)
    const stored = await db.primary.transaction().execute(async (trx) => {
      const cart = await openCartForWrite(trx, owner)
      const remove = input.remove ?? []
      if (remove.length > 0) {
        checkFound(remove.map((id, i) => ({ path: `remove[${i}]`, id })), await repo.removeCartLines(trx, cart.id, remove))
      }
      const change = input.change ?? []
      if (change.length > 0) {
        const changes = change.map((c) => ({ id: c.lineId, quantity: decimalString(parseDecimal(c.quantity, 'quantity')) }))
        const found = await repo.changeCartLineQuantities(trx, cart.id, changes)
        checkFound(change.map((c, i) => ({ path: `change[${i}].lineId`, id: c.lineId })), found)
      }
      if (input.add && input.add.length > 0) await repo.addCartLines(trx, cart.id, await newLinesOf(trx, input.add))
      return { ...cart, lines: await repo.listCartLines(trx, cart.id) }
    })
    return priceCart(catalog, stored)
  }

  async function emptyCart(caller: CartCaller): Promise<void> {
    const owner = ownerOf(caller)
    if (!owner) throw cartNotFound()
    await db.primary.transaction().execute(async (trx) => {
      const cart = await repo.touchCart(trx, owner, expiresAt())
      if (!cart) throw cartNotFound()
      await repo.deleteAllCartLines(trx, cart.id)
    })
  }

  /**
   * On sign-in: a guest cart's lines move into the customer's open cart (created if need be;
   * quantities of the same product and unit added) and the guest cart is deleted, in a constant
   * few statements. False, and nothing written, when the token names no live cart.
   */
  async function mergeGuestCart(customerId: number, cartToken: string): Promise<boolean> {
    if (!CART_TOKEN.test(cartToken)) return false
    return db.primary.transaction().execute(async (trx) => {
      const guest = await repo.touchCart(trx, { tokenHash: hashCartToken(cartToken) }, expiresAt())
      if (!guest) return false
      const mine = await openCartForWrite(trx, { customerId })
      await repo.mergeCartInto(trx, guest.id, mine.id)
      return true
    })
  }

  return { createCart, getCart, updateCart, emptyCart, mergeGuestCart }
}
