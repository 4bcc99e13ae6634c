import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { IDEMPOTENT_DESCRIPTION, IdempotencyHeaders, sendWrite, writeOptionsOf } from '../../infra/http/idempotency.ts'
import { errorResponses, Id, IdParams } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import { customerOf } from '../customers/index.ts'
import type { CheckoutCaller } from './orders.placement.ts'
import { CartTokenHeaders, Order, OrderList, PlaceOrderBody } from './orders.schemas.ts'
import type { OrdersService } from './orders.service.ts'
import { MAX_PAGE } from './orders.shopper-orders.ts'

const tags = ['store: checkout']

/** Orders are private: never kept by a shared cache. */
const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store')

function checkoutCallerOf(request: FastifyRequest): CheckoutCaller {
  const header = request.headers['brisk-cart-token']
  const customer = request.customer?.customer
  return { cartToken: typeof header === 'string' ? header : undefined, customerId: customer?.id, customerEmail: customer?.email }
}

export function registerCheckoutRoutes(app: HttpServer, orders: OrdersService): void {
  app.post(
    '/api/store/checkout',
    {
      schema: {
        tags,
        summary: 'Place an order from the cart',
        description:
          'The cart (of the Brisk-Cart-Token header, else the signed-in customer\'s) becomes an order in ONE statement: its lines at ' +
          "today's prices, the stock taken from the first location selling online that holds every line, the ledger, the sales " +
          'rollups, the cart emptied. `expectedTotal` is the total the shopper was shown: if prices changed since, a 409 ' +
          'ORDERS_PRICE_CHANGED gives the new total and nothing is written. The payment is asked before the order is written and ' +
          "voided if the order then fails (sold out: 409 ORDERS_SOLD_OUT). A declined card is a 402, a provider that does not " +
          `answer a 504; nothing is written either way. A guest reads the order afterwards with the same cart token. ${IDEMPOTENT_DESCRIPTION}`,
        headers: Type.Object({ ...CartTokenHeaders.properties, ...IdempotencyHeaders.properties }),
        body: PlaceOrderBody,
        response: { 201: Order, ...errorResponses(400, 402, 404, 409, 422, 504) },
      },
    },
    async (request, reply) =>
      sendWrite(noStore(reply), 201, await orders.placeOrder(checkoutCallerOf(request), request.body, writeOptionsOf(request.headers))),
  )

  app.get(
    '/api/store/orders',
    {
      schema: {
        tags,
        summary: "The signed-in customer's orders",
        description: 'Newest first, with their lines and returns. Needs a customer session ("Authorization: Bearer bcs_…").',
        querystring: Type.Object(
          {
            before: Type.Optional({ ...Id, description: 'Orders with ids below this: `nextBefore` of the previous page' }),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 20 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: OrderList, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => noStore(reply).send(await orders.listMyOrders(customerOf(request).customer.id, request.query)),
  )

  app.get(
    '/api/store/orders/:id',
    {
      schema: {
        tags,
        summary: 'One of my orders',
        description:
          "A customer's own order; a guest's with the Brisk-Cart-Token of the cart it was placed from. Any other order is a 404 " +
          'ORDERS_ORDER_NOT_FOUND, the same answer as for an order that does not exist.',
        headers: CartTokenHeaders,
        params: IdParams,
        response: { 200: Order, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => noStore(reply).send(await orders.findMyOrder(checkoutCallerOf(request), request.params.id)),
  )
}
