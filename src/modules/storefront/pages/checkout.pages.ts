/**
 * Checkout and the order confirmation. The checkout form carries the total the shopper was shown;
 * the orders module places the order (or refuses it, writing and reserving nothing: a declined
 * card, a price that changed, stock that ran out), and a refusal renders the form again, filled
 * in, with the reason. Only the card number is never sent back.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Big, money } from '../../../infra/decimal.ts'
import { AppError } from '../../../infra/errors.ts'
import type { ShippingOption } from '../../orders/index.ts'
import { checkCsrf } from '../storefront.csrf.ts'
import { type Form, formOf, idParam, optional, pageNotFound, queryOf, required } from '../storefront.forms.ts'
import { redirectAfterPost, type Storefront, sendPrivatePage } from '../storefront.render.ts'
import { flashed, setFlash } from '../storefront.sessions.ts'
import { cartOf, type Shopper, shopperOf } from './cart.pages.ts'

/** The countries the form offers (any ISO code is accepted); Germany first, the demo's home. */
const COUNTRIES = [
  { code: 'DE', name: 'Germany' },
  { code: 'AT', name: 'Austria' },
  { code: 'BE', name: 'Belgium' },
  { code: 'DK', name: 'Denmark' },
  { code: 'ES', name: 'Spain' },
  { code: 'FR', name: 'France' },
  { code: 'IE', name: 'Ireland' },
  { code: 'IT', name: 'Italy' },
  { code: 'NL', name: 'Netherlands' },
  { code: 'PL', name: 'Poland' },
  { code: 'SE', name: 'Sweden' },
  { code: 'CH', name: 'Switzerland' },
  { code: 'GB', name: 'United Kingdom' },
  { code: 'US', name: 'United States' },
]
const countryOf = (code: string | undefined) => COUNTRIES.find((c) => c.code === code) ?? COUNTRIES[0]!

/** Status of a refused checkout's page, by the refusal's kind. */
const STATUS: Record<string, number> = { invalid: 422, payment_declined: 402, conflict: 409, not_found: 404, upstream_timeout: 504 }

async function shippingFor(storefront: Storefront, shopper: Shopper, country: string): Promise<ShippingOption[]> {
  try {
    return await storefront.services.orders.shippingOptionsFor(shopper.caller, country)
  } catch (error) {
    if (error instanceof AppError && error.code === 'ORDERS_COUNTRY_NOT_SERVED') return []
    throw error
  }
}

/** The checkout form for the shopper's cart: the total shown is the one the POST must agree to. */
async function renderCheckout(
  storefront: Storefront,
  request: FastifyRequest,
  reply: FastifyReply,
  shopper: Shopper,
  page: { form: Form; error?: string; status?: number },
) {
  const cart = await cartOf(storefront, shopper.caller)
  if (cart.lines.length === 0) {
    setFlash(request, reply, { kind: 'error', text: 'Your cart is empty: add something before checking out.' })
    return redirectAfterPost(reply, flashed(request, reply, '/cart'))
  }
  const country = countryOf(page.form['country'])
  const shipping = await shippingFor(storefront, shopper, country.code)
  const chosen = shipping.find((o) => o.code === page.form['shippingMethod']) ?? shipping[0]
  const shippingPrice = chosen ? chosen.price : null
  const form = { name: shopper.session?.customer.name, ...page.form }
  return sendPrivatePage(storefront, request, reply, {
    view: 'checkout',
    status: page.status,
    summary: { customerName: shopper.session?.customer.name ?? null, cartLines: cart.lines.length + cart.unavailable.length },
    data: {
      title: 'Checkout',
      cart,
      form,
      error: page.error,
      signedIn: shopper.session !== null,
      countries: COUNTRIES,
      country: country.code,
      countryName: country.name,
      shipping,
      shippingMethod: chosen?.code,
      shippingPrice,
      total: money(new Big(cart.total).plus(shippingPrice ?? '0')),
    },
  })
}

async function checkoutPage(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  const shopper = await shopperOf(storefront, request, reply)
  return renderCheckout(storefront, request, reply, shopper, { form: queryOf(request) })
}

function orderInputOf(form: Form, signedIn: boolean) {
  const provider = form['provider'] === 'manual' ? 'manual' : 'test'
  return {
    ...(signedIn ? {} : { email: required(form, 'email', 'your email', 254) }),
    shippingAddress: {
      name: required(form, 'name', 'your name'),
      line1: required(form, 'line1', 'the address'),
      line2: optional(form, 'line2', 'address line 2') ?? null,
      city: required(form, 'city', 'the city', 100),
      postalCode: required(form, 'postalCode', 'the postal code', 20),
      country: countryOf(form['country']).code,
      phone: optional(form, 'phone', 'the phone number', 40) ?? null,
    },
    shippingMethod: required(form, 'shippingMethod', 'a shipping method', 50),
    payment: provider === 'test' ? { provider, card: { number: required(form, 'cardNumber', 'the card number', 23) } } : { provider },
    expectedTotal: required(form, 'expectedTotal', 'the total', 20),
  }
}

async function placeOrder(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  checkCsrf(request)
  const shopper = await shopperOf(storefront, request, reply)
  const { cardNumber: _never, ...form } = formOf(request)
  try {
    const input = orderInputOf(formOf(request), shopper.session !== null)
    const customer = shopper.session?.customer
    const caller = { ...shopper.caller, customerEmail: customer?.email }
    const placed = await storefront.services.orders.placeOrder(caller, input)
    await storefront.summaries.forget(request.visitor)
    return redirectAfterPost(reply, `/orders/${placed.body.id}?placed=1`)
  } catch (error) {
    if (!(error instanceof AppError) || error.kind === 'unavailable') throw error
    const status = STATUS[error.kind] ?? 422
    return renderCheckout(storefront, request, reply, shopper, { form, error: error.message, status })
  }
}

async function orderPage(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  const id = idParam(request, 'id')
  const shopper = await shopperOf(storefront, request, reply)
  const order = await storefront.services.orders.findMyOrder(shopper.caller, id).catch((error: unknown) => {
    throw error instanceof AppError && error.kind === 'not_found' ? pageNotFound() : error
  })
  return sendPrivatePage(storefront, request, reply, {
    view: 'order',
    data: { title: `Order #${order.id}`, order, justPlaced: queryOf(request)['placed'] === '1' },
  })
}

export function registerCheckoutPages(app: FastifyInstance, storefront: Storefront): void {
  app.get('/checkout', (request, reply) => checkoutPage(storefront, request, reply))
  app.post('/checkout', (request, reply) => placeOrder(storefront, request, reply))
  app.get('/orders/:id', (request, reply) => orderPage(storefront, request, reply))
}
