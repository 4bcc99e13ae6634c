import { Type } from 'typebox'
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

export function registerInventoryRoutes(app: HttpServer, inventory: InventoryService): void {
  app.get(
    '/api/locations',
    { schema: { tags, response: { 200: Type.Object({ items: Type.Array(Location) }), ...errorResponses(401) } } },
    async (request) => {
      principalOf(request)
      return { items: await inventory.listLocations() }
    },
  )

  app.post(
    '/api/locations',
    { schema: { tags, body: CreateLocationBody, response: { 201: Location, ...errorResponses(400, 401, 403, 409) } } },
    async (request, reply) => reply.status(201).send(await inventory.createLocation(principalOf(request), request.body)),
  )

  app.patch(
    '/api/locations/:id',
    {
      schema: {
        tags,
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
      schema: { tags, params: IdParams, querystring: StockQuery, response: { 200: StockPage, ...errorResponses(401, 404) } },
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
      schema: { tags, params: IdParams, querystring: LedgerQuery, response: { 200: LedgerPage, ...errorResponses(401, 404) } },
    },
    async (request) => {
      principalOf(request)
      const { productId, after, limit } = request.query
      return inventory.listLedger(request.params.id, {
        ...(productId !== undefined ? { productId } : {}),
        ...(after !== undefined ? { after } : {}),
        ...(limit !== undefined ? { limit } : {}),
      })
    },
  )

  app.post(
    '/api/locations/:id/adjustments',
    {
      schema: {
        tags,
        description: 'Adjust stock of many products at one location in a constant number of statements.',
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
        description: 'Move stock between two locations; refused whole if the source would go below zero.',
        body: TransferStockBody,
        response: { 200: MovementsResponse, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => inventory.transferStock(principalOf(request), request.body),
  )
}
