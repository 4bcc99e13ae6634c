/** Staff routes of online orders: the list, one order with its history, and the lifecycle. Thin: schema → service → reply. */
import { type TSchema, Type } from 'typebox'
import { IDEMPOTENT_DESCRIPTION, IdempotencyHeaders, sendWrite, writeOptionsOf } from '../../infra/http/idempotency.ts'
import { errorResponses, IdParams } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import { principalOf } from '../access/index.ts'
import {
  CancelOrderBody,
  FulfilOrderBody,
  ListStaffOrdersQuery,
  OrderList,
  OrderReturnBody,
  OrderReturnResult,
  StaffOrder,
} from './orders.schemas.ts'
import type { OrdersService } from './orders.service.ts'

const tags = ['orders']
const SCOPE =
  "A token limited to locations sees and changes only the orders fulfilled from them; any other order is a 404 ORDERS_ORDER_NOT_FOUND, the same answer as for one that does not exist."
const TRANSITION =
  'A change the order\'s state does not allow (placed → paid → fulfilled → completed; cancelled from placed or paid) is a 409 ORDERS_INVALID_TRANSITION naming both states.'
const ONE_WRITE = 'One transaction: the order locked, then ONE statement writes the change and its history row (actor `token:<id>`).'
const writeErrors = errorResponses(400, 401, 403, 404, 409, 422)

function transition(summary: string, description: string) {
  return {
    schema: {
      tags,
      summary,
      description: `${description} ${ONE_WRITE} ${TRANSITION} ${SCOPE} ${IDEMPOTENT_DESCRIPTION}`,
      params: IdParams,
      headers: IdempotencyHeaders,
      response: { 200: StaffOrder, ...writeErrors },
    },
  }
}

const withBody = <B extends TSchema>(route: ReturnType<typeof transition>, body: B) => ({ schema: { ...route.schema, body } })

export function registerStaffOrderRoutes(app: HttpServer, orders: OrdersService): void {
  app.get(
    '/api/orders',
    {
      schema: {
        tags,
        summary: 'List online orders',
        description:
          'Orders of the locations the caller may see (or of `locationId`, which must be one of them: 403 otherwise), newest ' +
          'first, with their lines and returns, filtered by status and placing time; one SQL statement per page. Pass ' +
          '`nextBefore` as `before` for the next page.',
        querystring: ListStaffOrdersQuery,
        response: { 200: OrderList, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => orders.listStaffOrders(principalOf(request), request.query),
  )

  app.get(
    '/api/orders/:id',
    {
      schema: {
        tags,
        summary: 'One online order with its history',
        description: `The order with its lines, returns and history (oldest first: who changed it from which state to which), in one SQL statement. ${SCOPE}`,
        params: IdParams,
        response: { 200: StaffOrder, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => orders.getStaffOrder(principalOf(request), request.params.id),
  )

  app.post(
    '/api/orders/:id/pay',
    transition('Mark an order paid', 'For an order placed unpaid (bank transfer, pay on delivery): the paid total becomes the order total.'),
    async (request, reply) => sendWrite(reply, 200, await orders.payOrder(principalOf(request), request.params.id, writeOptionsOf(request.headers))),
  )

  app.post(
    '/api/orders/:id/fulfil',
    withBody(
      transition('Mark an order shipped', 'A paid order leaves the shop: its tracking reference (1–100 characters) is kept on it and in its history.'),
      FulfilOrderBody,
    ),
    async (request, reply) => {
      const { params, body, headers } = request
      return sendWrite(reply, 200, await orders.fulfilOrder(principalOf(request), params.id, body, writeOptionsOf(headers)))
    },
  )

  app.post(
    '/api/orders/:id/complete',
    transition('Mark an order delivered', 'A fulfilled order reached the shopper.'),
    async (request, reply) =>
      sendWrite(reply, 200, await orders.completeOrder(principalOf(request), request.params.id, writeOptionsOf(request.headers))),
  )

  app.post(
    '/api/orders/:id/cancel',
    withBody(
      transition(
        'Cancel an order',
        'A placed or paid order (manager or admin): its stock comes back to the location it was taken from, with ledger rows, and ' +
          'its sale leaves the rollups of the quarter hour it was placed in — in the same statement. A paid order is refunded in full.',
      ),
      Type.Union([CancelOrderBody, Type.Null()], { description: "Optional: the request may have no body" }),
    ),
    async (request, reply) => {
      const { params, body, headers } = request
      return sendWrite(reply, 200, await orders.cancelOrder(principalOf(request), params.id, body ?? {}, writeOptionsOf(headers)))
    },
  )

  app.post(
    '/api/orders/:id/returns',
    {
      schema: {
        tags,
        summary: 'Return items of an order',
        description:
          'Part of a fulfilled or completed order comes back: per line, in its unit, never more than was ordered less what came ' +
          'back already (a 422 naming the line; nothing is written). Refunds are exact: the last return of a line refunds what is ' +
          "left of it. The goods go back to `locationId` (default: the order's location) with ledger rows, the rollups of the " +
          'return\'s quarter hour are reduced, and the refund is added to the order\'s refunded total (never above what was paid) — ' +
          `one transaction, the order locked then ONE statement. ${SCOPE} ${IDEMPOTENT_DESCRIPTION}`,
        params: IdParams,
        headers: IdempotencyHeaders,
        body: OrderReturnBody,
        response: { 201: OrderReturnResult, ...writeErrors },
      },
    },
    async (request, reply) => {
      const { params, body, headers } = request
      return sendWrite(reply, 201, await orders.returnOrderItems(principalOf(request), params.id, body, writeOptionsOf(headers)))
    },
  )
}
