import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { errorResponses } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import type { CartCaller } from './orders.carts.ts'
import { Cart, CartTokenHeaders, CreatedCart, UpdateCartBody } from './orders.schemas.ts'
import type { OrdersService } from './orders.service.ts'

const tags = ['store: carts']
const WHOSE =
  'The cart of the Brisk-Cart-Token header, else the signed-in customer\'s ("Authorization: Bearer bcs_…"). ' +
  'An unknown, expired or missing cart is a 404 ORDERS_CART_NOT_FOUND, the same answer whichever it is.'

/** Carts are private: never kept by a shared cache. */
const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store')

function callerOf(request: FastifyRequest): CartCaller {
  const header = request.headers['brisk-cart-token']
  return { cartToken: typeof header === 'string' ? header : undefined, customerId: request.customer?.customer.id }
}

export function registerOrderRoutes(app: HttpServer, orders: OrdersService): void {
  app.post(
    '/api/store/carts',
    {
      schema: {
        tags,
        summary: 'Start a cart',
        description:
          "A guest gets a new cart and its token; a signed-in customer gets their open cart (created if they have none) and no token.",
        response: { 201: CreatedCart },
      },
    },
    async (request, reply) => noStore(reply).status(201).send(await orders.createCart({ customerId: request.customer?.customer.id })),
  )

  app.get(
    '/api/store/cart',
    { schema: { tags, summary: 'The cart, priced', description: WHOSE, headers: CartTokenHeaders, response: { 200: Cart, ...errorResponses(400, 404) } } },
    async (request, reply) => noStore(reply).send(await orders.getCart(callerOf(request))),
  )

  app.patch(
    '/api/store/cart',
    {
      schema: {
        tags,
        summary: 'Add, change and remove lines',
        description:
          'Removes, then changes, then adds, in one transaction: any error writes nothing. Adding a product in a unit already in the cart adds to that line. ' +
          `Unknown products and units the product is not sold in are a 422 naming the line. ${WHOSE}`,
        headers: CartTokenHeaders,
        body: UpdateCartBody,
        response: { 200: Cart, ...errorResponses(400, 404, 422) },
      },
    },
    async (request, reply) => noStore(reply).send(await orders.updateCart(callerOf(request), request.body)),
  )

  app.delete(
    '/api/store/cart',
    {
      schema: { tags, summary: 'Empty the cart', description: WHOSE, headers: CartTokenHeaders, response: { 204: Type.Null(), ...errorResponses(400, 404) } },
    },
    async (request, reply) => {
      await orders.emptyCart(callerOf(request))
      return reply.status(204).send(null)
    },
  )
}
