import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { errorResponses, IdParams } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import { principalOf } from '../access/index.ts'
import type { CartCaller } from './orders.carts.ts'
import { registerCheckoutRoutes } from './orders.checkout.routes.ts'
import { registerStaffOrderRoutes } from './orders.staff.routes.ts'
import { registerOrderBatchRoutes } from './orders.batch.routes.ts'
import {
  Cart,
  CartTokenHeaders,
  CreateCartBody,
  CreatedCart,
  CreateShippingMethodBody,
  ShippingMethod,
  ShippingMethodList,
  ShippingOptionList,
  ShippingOptionsQuery,
  UpdateCartBody,
  UpdateShippingMethodBody,
} from './orders.schemas.ts'
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
          'A guest gets a new cart and its token; a signed-in customer gets their open cart (created if they have none) and no token. ' +
          'Send no body for an empty cart, or `{"add": [...]}` to put lines in it in the same request, as PATCH /api/store/cart ' +
          'does: for a guest one statement when the products are in the cache.',
        body: CreateCartBody,
        response: { 201: CreatedCart, ...errorResponses(400, 422) },
      },
      // no body at all is an empty cart; a body must say `add`, so junk is never mistaken for one
      preValidation: async (request) => {
        if (request.body === undefined) request.body = { add: [] }
      },
    },
    async (request, reply) =>
      noStore(reply)
        .status(201)
        .send(await orders.createCart({ customerId: request.customer?.customer.id }, request.body.add)),
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
  registerShippingRoutes(app, orders)
  registerCheckoutRoutes(app, orders)
  registerStaffOrderRoutes(app, orders)
  registerOrderBatchRoutes(app, orders)
}

const ADMIN_ONLY = 'Needs an admin token.'

function registerShippingRoutes(app: HttpServer, orders: OrdersService): void {
  const staff = ['shipping']
  app.get(
    '/api/shipping-methods',
    { schema: { tags: staff, summary: 'Shipping methods and their rates', description: ADMIN_ONLY, response: { 200: ShippingMethodList, ...errorResponses(401, 403) } } },
    async (request) => ({ items: await orders.listShippingMethods(principalOf(request)) }),
  )
  app.post(
    '/api/shipping-methods',
    {
      schema: {
        tags: staff,
        summary: 'Add a shipping method',
        description: `A flat price per country ('*': every other country), free when the cart's total before shipping reaches freeOver. ${ADMIN_ONLY}`,
        body: CreateShippingMethodBody,
        response: { 201: ShippingMethod, ...errorResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => reply.status(201).send(await orders.createShippingMethod(principalOf(request), request.body)),
  )
  app.patch(
    '/api/shipping-methods/:id',
    {
      schema: {
        tags: staff,
        summary: 'Change a shipping method',
        description: `\`rates\`, when sent, replaces the method's rates as a set. ${ADMIN_ONLY}`,
        params: IdParams,
        body: UpdateShippingMethodBody,
        response: { 200: ShippingMethod, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => orders.updateShippingMethod(principalOf(request), request.params.id, request.body),
  )
  app.get(
    '/api/store/shipping-methods',
    {
      schema: {
        tags: ['store: shipping'],
        summary: 'Shipping methods to a country, priced for the cart',
        description:
          'The active methods serving `country`, with the price for the cart (of the Brisk-Cart-Token header, else the signed-in ' +
          "customer's); without a cart, the flat price. A country no method serves is a 422 ORDERS_COUNTRY_NOT_SERVED.",
        headers: CartTokenHeaders,
        querystring: ShippingOptionsQuery,
        response: { 200: ShippingOptionList, ...errorResponses(400, 422) },
      },
    },
    async (request, reply) => noStore(reply).send({ items: await orders.shippingOptionsFor(callerOf(request), request.query.country) }),
  )
}
