import type { FastifyReply } from 'fastify'
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
import type { CodeDoc, ProductDoc } from './catalog.cache.ts'
import { type CachedLookup, toLookup, toProduct } from './catalog.products.ts'
import type { CatalogService } from './catalog.service.ts'
import type { Category as CachedCategory } from './catalog.units-and-categories.ts'

const tags = ['catalog']
/** 10,000 product lines are several MiB of JSON; the bulk route accepts more than the default limit. */
const BULK_BODY_LIMIT_BYTES = 16 * 1024 * 1024

const listUnits = {
  schema: {
    tags,
    security: [],
    summary: 'List units',
    description: 'The units products are counted and sold in (each, kg, box12, …). Public.',
    response: { 200: Type.Object({ items: Type.Array(Unit) }) },
  },
}

const createUnit = {
  schema: {
    tags,
    summary: 'Create a unit',
    description: 'Manager or admin; 409 when the code exists already.',
    body: CreateUnitBody,
    response: { 201: Unit, ...errorResponses(400, 401, 403, 409) },
  },
}

const listCategories = {
  schema: {
    tags,
    security: [],
    summary: 'List categories',
    description: 'Every product category with its parent. Public.',
    response: { 200: Type.Object({ items: Type.Array(Category) }) },
  },
}

const createCategory = {
  schema: {
    tags,
    summary: 'Create a category',
    description: 'Manager or admin, optionally under a parent category; 409 when the name exists already.',
    body: CreateCategoryBody,
    response: { 201: Category, ...errorResponses(400, 401, 403, 409, 422) },
  },
}

const listProducts = {
  schema: {
    tags,
    security: [],
    summary: 'List products',
    description:
      'Products with their prices and units, by id, filtered by category, active or part of the name or SKU. ' +
      'Keyset pagination: pass `nextAfter` as `after` for the next page. Public.',
    querystring: ProductQuery,
    response: { 200: ProductPage, ...errorResponses(400) },
  },
}

const lookupProduct = {
  schema: {
    tags,
    security: [],
    summary: 'Look up a product by code',
    description: 'Find a product by SKU, product barcode or unit barcode (a box), and the unit the code stands for. Public.',
    querystring: LookupQuery,
    response: { 200: ProductLookup, ...errorResponses(400, 404) },
  },
}

const getProduct = {
  schema: {
    tags,
    security: [],
    summary: 'Get a product',
    description: 'One product with its price, tax rate and unit conversions. Public.',
    params: IdParams,
    response: { 200: Product, ...errorResponses(400, 404) },
  },
}

const createProduct = {
  schema: {
    tags,
    summary: 'Create a product',
    description: 'Manager or admin. The price is per base unit, with at most two decimals; units convert to the base unit.',
    body: CreateProductBody,
    response: { 201: Product, ...errorResponses(400, 401, 403, 409, 422) },
  },
}

const updateProduct = {
  schema: {
    tags,
    summary: 'Update a product',
    description:
      'Manager or admin. Fields left out keep their value; `units`, when given, replaces every conversion. ' +
      'The base unit cannot change.',
    params: IdParams,
    body: UpdateProductBody,
    response: { 200: Product, ...errorResponses(400, 401, 403, 404, 409, 422) },
  },
}

/** Its body limit depends on the server's own, so it is added when the route is registered. */
const bulkUpsertProducts = {
  schema: {
    tags,
    summary: 'Insert or update products in bulk',
    description:
      'Insert or update up to 10,000 products by SKU (manager or admin). Every line is checked before anything is written; ' +
      'categories named by lines are created when missing; units must exist. Lines are written in chunks of 1,000, each ' +
      'atomic: a chunk the database refuses writes nothing, and `details.written` counts the lines saved before it.',
    body: BulkUpsertBody,
    response: { 200: BulkUpsertResult, ...errorResponses(400, 401, 403, 409, 413, 422) },
  },
}

const JSON_UTF8 = 'application/json; charset=utf-8'

/**
 * A cached product's response body, serialized once by the route's own schema serializer and kept
 * with the very objects it came from: an evicted product is a new object, so its bytes are new too.
 */
const productBodies = new WeakMap<ProductDoc, { category: CachedCategory | undefined; json: string }>()

function productJson(doc: ProductDoc, category: CachedCategory | undefined, reply: FastifyReply): string {
  const known = productBodies.get(doc)
  if (known !== undefined && known.category === category) return known.json
  const json = String(reply.serialize(toProduct(doc, category)))
  productBodies.set(doc, { category, json })
  return json
}

/** The same for a lookup's body, kept with the code's cached entry (a scan names one unit of one product). */
const lookupBodies = new WeakMap<CodeDoc, { doc: ProductDoc; category: CachedCategory | undefined; json: string }>()

function lookupJson(cached: CachedLookup, reply: FastifyReply): string {
  const known = lookupBodies.get(cached.match)
  if (known !== undefined && known.doc === cached.doc && known.category === cached.category) return known.json
  const json = String(reply.serialize(toLookup(cached)))
  lookupBodies.set(cached.match, { doc: cached.doc, category: cached.category, json })
  return json
}

/** Thin: schema → service → reply. */
export function registerCatalogRoutes(app: HttpServer, catalog: CatalogService): void {
  app.get('/api/units', listUnits, async () => ({ items: await catalog.listUnits() }))
  app.post('/api/units', createUnit, async (request, reply) =>
    reply.status(201).send(await catalog.createUnit(principalOf(request), request.body)),
  )
  app.get('/api/categories', listCategories, async () => ({ items: await catalog.listCategories() }))
  app.post('/api/categories', createCategory, async (request, reply) =>
    reply.status(201).send(await catalog.createCategory(principalOf(request), request.body)),
  )
  app.get('/api/products', listProducts, async (request) => catalog.listProducts(request.query))
  app.get('/api/products/lookup', lookupProduct, (request, reply) => {
    const cached = catalog.peekLookup(request.query.code)
    if (cached === undefined) return catalog.lookupProduct(request.query.code)
    reply.type(JSON_UTF8).send(lookupJson(cached, reply) as never)
    return undefined
  })
  app.get('/api/products/:id', getProduct, (request, reply) => {
    const cached = catalog.peekProduct(request.params.id)
    if (cached === undefined) return catalog.getProduct(request.params.id)
    // answered here and now: a sync handler that sent its reply returns nothing. The body is the
    // product already serialized by this route's serializer, which the type provider cannot know.
    reply.type(JSON_UTF8).send(productJson(cached.doc, cached.category, reply) as never)
    return undefined
  })
  app.post('/api/products', createProduct, async (request, reply) =>
    reply.status(201).send(await catalog.createProduct(principalOf(request), request.body)),
  )
  app.patch('/api/products/:id', updateProduct, async (request) =>
    catalog.updateProduct(principalOf(request), request.params.id, request.body),
  )
  const bulkBodyLimit = Math.max(app.initialConfig.bodyLimit ?? 0, BULK_BODY_LIMIT_BYTES)
  app.post('/api/products/bulk', { ...bulkUpsertProducts, bodyLimit: bulkBodyLimit }, async (request) =>
    catalog.bulkUpsertProducts(principalOf(request), request.body),
  )
}
