/**
 * Checkout: a cart becomes an order. One read (the cart, its lines, the shipping rate and the
 * order's ids), the payment authorized with no transaction open, then ONE statement places the
 * order — lines, history, stock from the fulfilling location, ledger, rollups, the cart emptied,
 * and with an Idempotency-Key the key claimed with its response: 2 statements, no transaction.
 */
import type { Db } from '../../infra/db/database.ts'
import { isStatementAbort } from '../../infra/db/statement-abort.ts'
import { Big, decimalString, MONEY_LIMITS, money, readDecimal } from '../../infra/decimal.ts'
import { conflict, invalid } from '../../infra/errors.ts'
import { type IdempotentWriter, KEY_TAKEN, type Replayable, type WriteOptions } from '../../infra/idempotency/idempotency.ts'
import { type CatalogCache, namesForMessage, type SellableLine } from '../catalog/index.ts'
import { COUNTRY_CODES } from '../customers/index.ts'
import { shortStockOf } from '../inventory/index.ts'
import { type CartCaller, cartNotFound, ownerOf } from './orders.carts.ts'
import { type Order, toOrder } from './orders.mapping.ts'
import type { OrderRecord } from './orders.records.ts'
import type { PaymentProviders } from './orders.payments.ts'
import { orderLinesOf, priceSellable, sellableCartLines } from './orders.pricing.ts'
import * as repo from './orders.placement.repository.ts'
import type { CartOwner } from './orders.repository.ts'
import type { NewOrderLine } from './orders.tables.ts'

export interface ShippingAddressInput {
  name: string
  line1: string
  line2?: string | null | undefined
  city: string
  postalCode: string
  country: string
  phone?: string | null | undefined
}

export interface PlaceOrderInput {
  /** a guest's; a customer's account email when absent */
  email?: string | undefined
  shippingAddress: ShippingAddressInput
  /** a shipping method's code */
  shippingMethod: string
  payment: { provider: string; card?: { number: string } | undefined }
  /** the total the shopper agreed to: goods + shipping */
  expectedTotal: string | number
}

/** Who checks out: the cart caller, and the signed-in customer's id and email. */
export interface CheckoutCaller extends CartCaller {
  customerEmail?: string | undefined
}

interface Priced {
  lines: (NewOrderLine & { id: number })[]
  catalog: { position: number; price: string }[]
  subtotal: string
  taxTotal: string
  goodsTotal: Big
  shippingTotal: Big
  total: Big
}

/** The checks that need no statement: a country that exists, an email for a guest, a provider we have. */
function checkInput(caller: CheckoutCaller, input: PlaceOrderInput, providers: PaymentProviders): void {
  if (!COUNTRY_CODES.has(input.shippingAddress.country)) {
    throw invalid('ORDERS_UNKNOWN_COUNTRY', `${input.shippingAddress.country} is not an ISO 3166-1 country code.`, {
      field: '/shippingAddress/country',
    })
  }
  if (input.email === undefined && caller.customerEmail === undefined) {
    throw invalid('ORDERS_EMAIL_REQUIRED', 'A guest checkout needs an email address for the order.', { field: '/email' })
  }
  if (!providers.has(input.payment.provider)) {
    throw invalid('ORDERS_UNKNOWN_PAYMENT_PROVIDER', `No payment provider "${input.payment.provider}"; use ${namesForMessage([...providers.keys()])}.`, {
      field: '/payment/provider',
    })
  }
  readDecimal(input.expectedTotal, 'expectedTotal', MONEY_LIMITS, 'ORDERS_INVALID_TOTAL')
}

function priceOrder(cart: repo.CheckoutCart, sellable: SellableLine[], shipping: NonNullable<repo.CheckoutCart['shipping']>): Priced {
  const { priced } = priceSellable(sellable)
  const lines = orderLinesOf(sellable, priced).map((line, i) => ({ ...line, id: cart.line_ids[i]! }))
  const goodsTotal = new Big(priced.total)
  const free = shipping.free_over !== null && goodsTotal.gte(shipping.free_over)
  const shippingTotal = free ? new Big(0) : new Big(shipping.price)
  return {
    lines,
    catalog: sellable.map((s, i) => ({ position: i, price: s.price })),
    subtotal: priced.netTotal,
    taxTotal: priced.taxTotal,
    goodsTotal,
    shippingTotal,
    total: goodsTotal.plus(shippingTotal),
  }
}

const priceChanged = (expected: Big, total: Big) =>
  conflict('ORDERS_PRICE_CHANGED', `Prices changed since the cart was shown: the total is now ${money(total)}, not ${money(expected)}. Nothing was ordered.`, {
    field: '/expectedTotal',
    expectedTotal: money(expected),
    total: money(total),
  })

const notPlaced = {
  stale: () => conflict('ORDERS_CATALOG_CHANGED', 'Products in this cart changed while the order was placed; send it again.'),
  cart_changed: () =>
    conflict('ORDERS_CART_CHANGED', 'The cart changed (or was ordered) while the order was placed; nothing was ordered. Read it and check out again.'),
  no_online_location: () => conflict('ORDERS_NOT_SOLD_ONLINE', 'No location sells online yet: the shop cannot take online orders.'),
}

export function createPlacement(
  db: Db,
  options: { catalog: CatalogCache; writes: IdempotentWriter; payments: PaymentProviders },
) {
  const { catalog, writes, payments } = options

  /** The cart's lines priced now; a line no longer sold as it is refuses the checkout (the cart shows which). */
  async function orderableLines(cart: repo.CheckoutCart): Promise<SellableLine[]> {
    const { sellable, unavailable } = await sellableCartLines(catalog, cart.lines)
    if (unavailable.length > 0) {
      throw conflict('ORDERS_LINES_UNAVAILABLE', `${unavailable.length} line(s) of the cart are no longer sold as they are: remove them and check out again.`, {
        lines: unavailable,
      })
    }
    return sellable
  }

  /** The live cart with what placing needs; undefined when there is none. */
  async function readCart(owner: CartOwner, input: PlaceOrderInput) {
    const cart = await repo.findCheckoutCart(db.primary, owner, { methodCode: input.shippingMethod, country: input.shippingAddress.country })
    if (!cart) return undefined
    if (cart.lines.length === 0) throw invalid('ORDERS_CART_EMPTY', 'The cart is empty: add lines before checking out.')
    if (!cart.shipping) {
      throw invalid(
        'ORDERS_COUNTRY_NOT_SERVED',
        `Shipping method "${input.shippingMethod}" does not serve ${input.shippingAddress.country} (or does not exist).`,
        { field: '/shippingMethod', country: input.shippingAddress.country },
      )
    }
    return { cart, shipping: cart.shipping }
  }

  async function placeOrder(caller: CheckoutCaller, input: PlaceOrderInput, writeOptions: WriteOptions = {}): Promise<Replayable<Order>> {
    checkInput(caller, input, payments)
    const expected = new Big(readDecimal(input.expectedTotal, 'expectedTotal', MONEY_LIMITS, 'ORDERS_INVALID_TOTAL'))
    const owner = ownerOf(caller)
    if (!owner) throw cartNotFound()
    const write = { scope: scopeOf(owner), operation: 'place order', request: input, options: writeOptions }
    const found = await readCart(owner, input)
    if (!found) {
      // a retry of a placement that succeeded: its cart is gone, its response stored
      const replay = await writes.findReplay<Order>(write)
      if (replay) return replay
      throw cartNotFound()
    }
    const { cart, shipping } = found
    let priced = priceOrder(cart, await orderableLines(cart), shipping)
    if (!priced.total.eq(expected)) throw priceChanged(expected, priced.total)

    const provider = payments.get(input.payment.provider)!
    const authorization = await provider.authorize({ amount: money(priced.total), idempotencyKey: writeOptions.idempotencyKey, card: input.payment.card })
    const guest = 'tokenHash' in owner
    const order = (p: Priced): repo.NewOrder => ({
      id: cart.order_id,
      at: cart.at,
      cart: { id: cart.id, version: cart.version },
      customerId: guest ? null : owner.customerId,
      email: input.email ?? caller.customerEmail!,
      accessTokenHash: guest ? owner.tokenHash : null,
      status: authorization.paid ? 'paid' : 'placed',
      shippingMethod: { id: shipping.id, name: shipping.name },
      shippingAddress: addressOf(input.shippingAddress),
      shippingCountry: input.shippingAddress.country,
      subtotal: p.subtotal,
      taxTotal: p.taxTotal,
      shippingTotal: money(p.shippingTotal),
      total: money(p.total),
      goodsTotal: money(p.goodsTotal),
      paymentProvider: authorization.provider,
      paymentReference: authorization.reference,
      paidTotal: authorization.paid ? money(p.total) : '0',
      lines: p.lines,
      catalog: p.catalog,
      actor: guest ? 'guest' : `customer:${owner.customerId}`,
    })
    try {
      return await writes.inStatement(write, async (key) => {
        // the order as answered, made once: the statement stores it with the location it chose
        const place = async (values: repo.NewOrder) => {
          const response = toOrder(recordOf(values, 0))
          const claim = key?.claimCte(response, { patch: { path: '{locationId}', value: repo.FULFILLING_LOCATION }, when: repo.READY_TO_PLACE })
          return { response, result: await repo.insertOrder(db.primary, values, claim ?? null) }
        }
        let attempt = await place(order(priced))
        if (!attempt.result.placed && attempt.result.why === 'stale') {
          // a catalog change no eviction reached: priced afresh, and refused if the total moved
          await catalog.evictProducts({ ids: cart.lines.map((l) => l.product_id), codes: [] })
          priced = priceOrder(cart, await orderableLines(cart), shipping)
          if (!priced.total.eq(expected)) throw priceChanged(expected, priced.total)
          attempt = await place(order(priced))
        }
        const { response, result } = attempt
        if (result.placed) return { ...response, locationId: result.locationId }
        if (result.why === 'key_taken') return KEY_TAKEN
        throw notPlaced[result.why]()
      })
    } catch (error) {
      await provider.void(authorization)
      throw isStatementAbort(error) ? notPlaced.cart_changed() : soldOutOr(error)
    }
  }

  return { placeOrder }
}

/** Whose Idempotency-Keys: a guest's are their cart token's, a customer's their own. */
const scopeOf = (owner: CartOwner) => ('tokenHash' in owner ? `cart:${owner.tokenHash}` : `customer:${owner.customerId}`)

/** The address as the order keeps it. */
export function addressOf(a: ShippingAddressInput) {
  return { name: a.name, line1: a.line1, line2: a.line2 ?? null, city: a.city, postalCode: a.postalCode, country: a.country, phone: a.phone ?? null }
}

/** The order as just written, in the record shape the reads return. */
function recordOf(o: repo.NewOrder, locationId: number): OrderRecord {
  return {
    id: o.id,
    source: 'store',
    external_ref: null,
    customer_id: o.customerId,
    email: o.email,
    status: o.status,
    location_id: locationId,
    shipping_method_id: o.shippingMethod.id,
    shipping_method_name: o.shippingMethod.name,
    shipping_address: o.shippingAddress,
    shipping_country: o.shippingCountry,
    subtotal: o.subtotal,
    tax_total: o.taxTotal,
    shipping_total: o.shippingTotal,
    total: o.total,
    line_count: o.lines.length,
    payment_provider: o.paymentProvider,
    payment_reference: o.paymentReference,
    paid_total: o.paidTotal,
    refunded_total: '0',
    tracking_reference: null,
    created_at: o.at,
    updated_at: o.at,
    paid_at: o.status === 'paid' ? o.at : null,
    fulfilled_at: null,
    completed_at: null,
    cancelled_at: null,
    lines: o.lines.map((l) => ({ ...l, returned_quantity: '0', returned_net: '0', returned_tax: '0' })),
    returns: [],
  }
}

const exact = (value: string) => decimalString(new Big(value))

/** A shortage as the shopper's 409: which lines the shop cannot cover now. */
function soldOutOr(error: unknown): unknown {
  const short = shortStockOf(error)
  if (!short) return error
  return conflict('ORDERS_SOLD_OUT', 'Sold out: the shop cannot cover every line of this cart now. Nothing was ordered.', {
    lines: short.map((s) => ({ productId: s.productId, requested: exact(s.requested), available: exact(s.available) })),
  })
}
