import { Type } from 'typebox'
import { errorResponses, IdParams } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import { principalOf } from '../access/index.ts'
import {
  BulkUpsertBody,
  BulkUpsertResult,
  Category,
  CreateCategoryBody,
  CreateProductBody,
  CreateUnitBody,
  LookupQuery,
  Product,
  ProductLookup,
  ProductPage,
  ProductQuery,
  Unit,
  UpdateProductBody,
} from './catalog.schemas.ts'
import type { CatalogService } from './catalog.service.ts'

const tags = ['catalog']
/** 10,000 product lines are several MiB of JSON; the bulk route accepts more than the default limit. */
const BULK_BODY_LIMIT_BYTES = 16 * 1024 * 1024

export function registerCatalogRoutes(app: HttpServer, catalog: CatalogService): void {
  app.get(
    '/api/units',
    { schema: { tags, security: [], response: { 200: Type.Object({ items: Type.Array(Unit) }) } } },
    async () => ({ items: await catalog.listUnits() }),
  )

  app.post(
    '/api/units',
    { schema: { tags, body: CreateUnitBody, response: { 201: Unit, ...errorResponses(400, 401, 403, 409) } } },
    async (request, reply) => reply.status(201).send(await catalog.createUnit(principalOf(request), request.body)),
  )

  app.get(
    '/api/categories',
    { schema: { tags, security: [], response: { 200: Type.Object({ items: Type.Array(Category) }) } } },
    async () => ({ items: await catalog.listCategories() }),
  )

  app.post(
    '/api/categories',
    { schema: { tags, body: CreateCategoryBody, response: { 201: Category, ...errorResponses(400, 401, 403, 409, 422) } } },
    async (request, reply) => reply.status(201).send(await catalog.createCategory(principalOf(request), request.body)),
  )

  app.get(
    '/api/products',
    {
      schema: {
        tags,
        security: [],
        description: 'Keyset pagination by id: pass `nextAfter` as `after` for the next page.',
        querystring: ProductQuery,
        response: { 200: ProductPage, ...errorResponses(400) },
      },
    },
    async (request) => catalog.listProducts(request.query),
  )

  app.get(
    '/api/products/lookup',
    {
      schema: {
        tags,
        security: [],
        description: 'Find a product by SKU, product barcode or unit barcode (a box), and the unit the code stands for.',
        querystring: LookupQuery,
        response: { 200: ProductLookup, ...errorResponses(400, 404) },
      },
    },
    async (request) => catalog.lookupProduct(request.query.code),
  )

  app.get(
    '/api/products/:id',
    { schema: { tags, security: [], params: IdParams, response: { 200: Product, ...errorResponses(400, 404) } } },
    async (request) => catalog.getProduct(request.params.id),
  )

  app.post(
    '/api/products',
    { schema: { tags, body: CreateProductBody, response: { 201: Product, ...errorResponses(400, 401, 403, 409, 422) } } },
    async (request, reply) => reply.status(201).send(await catalog.createProduct(principalOf(request), request.body)),
  )

  app.patch(
    '/api/products/:id',
    {
      schema: {
        tags,
        params: IdParams,
        body: UpdateProductBody,
        response: { 200: Product, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => catalog.updateProduct(principalOf(request), request.params.id, request.body),
  )

  app.post(
    '/api/products/bulk',
    {
      bodyLimit: Math.max(app.initialConfig.bodyLimit ?? 0, BULK_BODY_LIMIT_BYTES),
      schema: {
        tags,
        description:
          'Insert or update up to 10,000 products by SKU. Every line is checked before anything is written; ' +
          'categories named by lines are created when missing; units must exist.',
        body: BulkUpsertBody,
        response: { 200: BulkUpsertResult, ...errorResponses(400, 401, 403, 409, 413, 422) },
      },
    },
    async (request) => catalog.bulkUpsertProducts(principalOf(request), request.body),
  )
}
