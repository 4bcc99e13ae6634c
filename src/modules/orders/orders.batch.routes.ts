/**
 * Staff batch routes: many orders marked paid, fulfilled or imported in one request, and the batch
 * log. The log's routes live here until a second module writes batches: the log itself is infra
 * (infra/batch-log) and cannot read the caller's role, which access (a module) resolves.
 */
import { BatchLogList, BatchLogOutput } from '../../infra/batch-log/batch-log.ts'
import { errorResponses, IdParams } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import { principalOf } from '../access/index.ts'
import { BatchLogQuery, BatchResultOutput, FulfilOrdersBody, ImportOrdersBody, MarkOrdersPaidBody } from './orders.schemas.ts'
import type { OrdersService } from './orders.service.ts'

const tags = ['orders: batches']
const BATCH =
  'One request, a constant number of statements per chunk of orders (1,000 a chunk by default, each its own short ' +
  'transaction). A row that cannot go through is reported in `results` with its error and left alone; the rest go ' +
  'through. The batch is a row of the batch log (`batch`, also at GET /api/batches/{id}). Needs an admin or manager token.'

export function registerOrderBatchRoutes(app: HttpServer, orders: OrdersService): void {
  app.post(
    '/api/orders/batch/mark-paid',
    {
      schema: {
        tags,
        summary: 'Mark placed orders paid',
        description: `Orders that are placed (and in the token's locations) become paid in full. ${BATCH}`,
        body: MarkOrdersPaidBody,
        response: { 200: BatchResultOutput, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => orders.markOrdersPaid(principalOf(request), request.body),
  )
  app.post(
    '/api/orders/batch/fulfil',
    {
      schema: {
        tags,
        summary: 'Fulfil paid orders of a location',
        description: `Paid orders shipping from \`locationId\` become fulfilled with their tracking references. ${BATCH}`,
        body: FulfilOrdersBody,
        response: { 200: BatchResultOutput, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => orders.fulfilOrders(principalOf(request), request.body),
  )
  app.post(
    '/api/orders/batch/import',
    {
      schema: {
        tags,
        summary: 'Import marketplace orders',
        description:
          'Orders of a marketplace placed with the stock of `locationId`: lines at the catalog price unless the marketplace ' +
          'sent its own `unitPrice` (before tax; the tax is the product\'s), history, ledger and sales rollups (channel online). ' +
          'An order already imported (same source and externalRef) is skipped and reported; an order the stock cannot ' +
          'cover — with the orders before it in the batch — is refused (ORDERS_SOLD_OUT) and the rest go in. ' +
          `Two statements per chunk: the products, then the orders. ${BATCH}`,
        body: ImportOrdersBody,
        response: { 200: BatchResultOutput, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => orders.importOrders(principalOf(request), request.body),
  )
  app.get(
    '/api/batches',
    {
      schema: {
        tags,
        summary: 'The batch log, newest first',
        description: 'Every batch operation. A token limited to locations sees the batches it ran. Needs an admin or manager token.',
        querystring: BatchLogQuery,
        response: { 200: BatchLogList, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => orders.listBatches(principalOf(request), request.query),
  )
  app.get(
    '/api/batches/:id',
    {
      schema: {
        tags,
        summary: 'One batch of the log',
        description: 'With its row errors (the first 100). Needs an admin or manager token.',
        params: IdParams,
        response: { 200: BatchLogOutput, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => orders.getBatch(principalOf(request), request.params.id),
  )
}

