/**
 * The cart: its page, and the forms that add, change and remove lines (POST → 303 → GET, the
 * outcome as a flash message). A guest's first add makes their cart and its cookie; a signed-in
 * shopper's lines go to their customer cart. Every write forgets the visitor's cached summary.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../../../infra/errors.ts'
import type { CustomerSession } from '../../customers/index.ts'
import type { CartCaller, PricedCart } from '../../orders/index.ts'
import { checkCsrf } from '../storefront.csrf.ts'
import { formOf, idParam } from '../storefront.forms.ts'
import { redirectAfterPost, type Storefront, sendPrivatePage } from '../storefront.render.ts'
import { COOKIES, clearCookie, customerSessionOf, flashed, setCartCookie, setFlash } from '../storefront.sessions.ts'
import { quantity as formatQuantity, unitName } from '../storefront.views.ts'

/** The shopper of a per-visitor page or a write: the session checked for real, and their cart's caller. */
export interface Shopper {
  session: CustomerSession | null
  caller: CartCaller
}

export async function shopperOf(storefront: Storefront, request: FastifyRequest, reply: FastifyReply): Promise<Shopper> {
  const visitor = request.visitor
  const session = await customerSessionOf(storefront.services.customers, visitor)
  if (session) return { session, caller: { customerId: session.customer.id } }
  // an expired or revoked session's cookie is dropped, so cached pages stop asking about it
  if (visitor.sessionToken !== undefined) clearCookie(reply, COOKIES.session)
  return { session: null, caller: { cartToken: visitor.cartToken } }
}

export const EMPTY_CART: PricedCart = { lines: [], subtotal: '0.00', taxTotal: '0.00', total: '0.00', unavailable: [], expiresAt: '', updatedAt: '' }

const isCartNotFound = (error: unknown) => error instanceof AppError && error.code === 'ORDERS_CART_NOT_FOUND'

/** The shopper's cart, or an empty one when they have none (or it expired). */
export async function cartOf(storefront: Storefront, caller: CartCaller): Promise<PricedCart> {
  if (caller.customerId === undefined && caller.cartToken === undefined) return EMPTY_CART
  try {
    return await storefront.services.orders.getCart(caller)
  } catch (error) {
    if (isCartNotFound(error)) return EMPTY_CART
    throw error
  }
}

async function cartPage(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  const { session, caller } = await shopperOf(storefront, request, reply)
  const cart = await cartOf(storefront, caller)
  const summary = { customerName: session?.customer.name ?? null, cartLines: cart.lines.length + cart.unavailable.length }
  return sendPrivatePage(storefront, request, reply, { view: 'cart', data: { title: 'Your cart', cart }, summary })
}

/** Runs a cart write; its refusal becomes a flash message on the page the shopper goes back to. */
async function cartWrite(
  storefront: Storefront,
  request: FastifyRequest,
  reply: FastifyReply,
  back: string,
  write: (shopper: Shopper) => Promise<string>,
) {
  checkCsrf(request)
  const shopper = await shopperOf(storefront, request, reply)
  try {
    setFlash(request, reply, { kind: 'ok', text: await write(shopper) })
  } catch (error) {
    if (!(error instanceof AppError) || error.kind === 'unavailable') throw error
    setFlash(request, reply, { kind: 'error', text: error.message })
  }
  await storefront.summaries.forget(request.visitor)
  return redirectAfterPost(reply, flashed(request, reply, back))
}

async function addToCart(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  const form = formOf(request)
  const productId = Number(form['productId'])
  const back = Number.isSafeInteger(productId) && productId > 0 ? `/p/${productId}` : '/cart'
  return cartWrite(storefront, request, reply, back, async ({ caller }) => {
    const line = { productId, unit: form['unit'] || undefined, quantity: form['quantity'] || '1' }
    const { orders } = storefront.services
    let cart: PricedCart | undefined
    if (caller.customerId !== undefined || caller.cartToken !== undefined) {
      cart = await orders.updateCart(caller, { add: [line] }).catch((error: unknown) => {
        if (isCartNotFound(error)) return undefined
        throw error
      })
    }
    if (!cart) {
      const created = await orders.createCart({}, [line])
      if (created.token) setCartCookie(request, reply, created.token, storefront.cartTtlHours)
      cart = created.cart
    }
    const added = cart.lines.find((l) => l.productId === productId && (line.unit === undefined || l.unit === line.unit))
    return `Added ${formatQuantity(line.quantity)} × ${unitName(added?.unit ?? line.unit ?? '')} ${added?.name ?? ''} to your cart.`.replace(/\s+/g, ' ')
  })
}

async function changeLine(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  const lineId = idParam(request, 'lineId')
  const quantity = formOf(request)['quantity'] ?? ''
  return cartWrite(storefront, request, reply, '/cart', async ({ caller }) => {
    const remove = quantity !== '' && Number(quantity) === 0
    await storefront.services.orders.updateCart(caller, remove ? { remove: [lineId] } : { change: [{ lineId, quantity }] })
    return remove ? 'Removed from your cart.' : 'Cart updated.'
  })
}

async function removeLine(storefront: Storefront, request: FastifyRequest, reply: FastifyReply) {
  const lineId = idParam(request, 'lineId')
  return cartWrite(storefront, request, reply, '/cart', async ({ caller }) => {
    await storefront.services.orders.updateCart(caller, { remove: [lineId] })
    return 'Removed from your cart.'
  })
}

export function registerCartPages(app: FastifyInstance, storefront: Storefront): void {
  app.get('/cart', (request, reply) => cartPage(storefront, request, reply))
  app.post('/cart/add', (request, reply) => addToCart(storefront, request, reply))
  app.post('/cart/lines/:lineId', (request, reply) => changeLine(storefront, request, reply))
  app.post('/cart/lines/:lineId/remove', (request, reply) => removeLine(storefront, request, reply))
}
