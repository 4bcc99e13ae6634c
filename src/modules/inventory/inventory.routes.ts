import { Type } from 'typebox'
import { MAX_BASE_QUANTITY } from '../../infra/decimal.ts'
import { errorResponses, IdParams } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import { principalOf } from '../access/index.ts'
import {
  AdjustStockBody,
  CreateLocationBody,
  LedgerPage,
  LedgerQuery,
  Location,
  MovementsResponse,
  StockPage,
  StockQuery,
  TransferStockBody,
  UpdateLocationBody,
} from './inventory.schemas.ts'
import type { InventoryService } from './inventory.service.ts'

const tags = ['inventory']

/** How a quantity becomes stock: the same rule the sales use for their lines. */
const STOCK_QUANTITIES =
  ' Stock is kept to 6 decimals of the base unit: quantity × the unit\'s factor is rounded half-up to 6 decimals, and ' +
  `the movements answered are what the ledger holds; a line that rounds to zero is refused (422), and so is more than ${MAX_BASE_QUANTITY} ` +
  'base units of one product in one request.'

export function registerInventoryRoutes(app: HttpServer, inventory: InventoryService): void {
  app.get(
    '/api/locations',
    {
      schema: {
        tags,
        summary: 'List locations',
        description: 'Every store and warehouse, by id.',
        response: { 200: Type.Object({ items: Type.Array(Location) }), ...errorResponses(401) },
      },
    },
    async (request) => {
      principalOf(request)
      return { items: await inventory.listLocations() }
    },
  )

  app.post(
    '/api/locations',
    {
      schema: {
        tags,
        summary: 'Create a location',
        description: 'A store or a warehouse (manager or admin); 409 when the code exists already.',
        body: CreateLocationBody,
        response: { 201: Location, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(await inventory.createLocation(principalOf(request), request.body)),
  )

  app.patch(
    '/api/locations/:id',
    {
      schema: {
        tags,
        summary: 'Update a location',
        description: 'Rename it, change its kind or whether its stock may go below zero (manager or admin of that location).',
        params: IdParams,
        body: UpdateLocationBody,
        response: { 200: Location, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => inventory.updateLocation(principalOf(request), request.params.id, request.body),
  )

  app.get(
    '/api/locations/:id/stock',
    {
      schema: {
        tags,
        summary: 'Stock levels of a location',
        description: 'Quantities in base units, by product id; keyset pagination: pass `nextAfter` as `after`.',
        params: IdParams,
        querystring: StockQuery,
        response: { 200: StockPage, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      principalOf(request)
      const { productId, after, limit } = request.query
      return inventory.listStock(request.params.id, {
        ...(productId ? { productIds: productId } : {}),
        ...(after !== undefined ? { after } : {}),
        ...(limit !== undefined ? { limit } : {}),
      })
    },
  )

  app.get(
    '/api/locations/:id/ledger',
    {
      schema: {
        tags,
        summary: 'Stock ledger of a location',
        description:
          'Every stock movement, newest first, optionally of one product or one reason; ' +
          'keyset pagination: pass `nextBefore` as `before` for older entries.',
        params: IdParams,
        querystring: LedgerQuery,
        response: { 200: LedgerPage, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      principalOf(request)
      return inventory.listLedger(request.params.id, request.query)
    },
  )

  app.post(
    '/api/locations/:id/adjustments',
    {
      schema: {
        tags,
        summary: 'Adjust stock',
        description:
          'Add (positive quantities) or remove (negative) stock of many products at one location, in a constant number of ' +
          `statements; refused whole, naming every short line, if a location that forbids it would go below zero.${STOCK_QUANTITIES}`,
        params: IdParams,
        body: AdjustStockBody,
        response: { 200: MovementsResponse, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => inventory.adjustStock(principalOf(request), request.params.id, request.body),
  )

  app.post(
    '/api/transfers',
    {
      schema: {
        tags,
        summary: 'Transfer stock',
        description:
          'Move stock between two locations (manager or admin of both); refused whole, naming every short line, ' +
          `if the source would go below zero.${STOCK_QUANTITIES}`,
        body: TransferStockBody,
        response: { 200: MovementsResponse, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => inventory.transferStock(principalOf(request), request.body),
  )
}
