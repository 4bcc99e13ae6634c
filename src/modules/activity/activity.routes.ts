import type { FastifyReply, FastifyRequest } from 'fastify'
import { errorResponses, IdParams } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import { principalOf } from '../access/index.ts'
import { customerOf } from '../customers/index.ts'
import {
  ProductViewsByDay,
  ProductViewsQuery,
  RecentViews,
  RecentViewsQuery,
  RecommendationsQuery,
  Recommendations,
  RecordedViews,
  RecordViewsBody,
  UpsertedScores,
  UpsertScoresBody,
} from './activity.schemas.ts'
import type { ActivityService } from './activity.service.ts'
import type { Recorder } from './activity.views.ts'

const tags = ['activity']
const STAFF = 'Needs a staff token (any role).'
const ONE = 'One statement.'

/** A staff token records anyone's views; else the signed-in shopper records their own. */
function recorderOf(request: FastifyRequest): Recorder {
  if (request.principal) return { staff: true }
  return { customerId: customerOf(request).customer.id }
}

const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store')

export function registerActivityRoutes(app: HttpServer, activity: ActivityService): void {
  registerViewRoutes(app, activity)
  registerScoreRoutes(app, activity)
}

function registerViewRoutes(app: HttpServer, activity: ActivityService): void {
  app.post(
    '/api/activity/views',
    {
      schema: {
        tags,
        summary: 'Record product views',
        description:
          'Appends up to 10,000 views in one statement. Each names its product by `productId` or `sku`, and its viewer by ' +
          '`customerId` or `sessionId`. When a product or customer is unknown nothing is recorded and the 422 names every such row ' +
          '(`/views/3/productId`). A staff token (any role) may record anyone\'s views; a signed-in shopper ' +
          '("Authorization: Bearer bcs_…") records their own: `customerId` is always theirs.',
        body: RecordViewsBody,
        response: { 201: RecordedViews, ...errorResponses(400, 401, 422) },
      },
    },
    async (request, reply) => reply.status(201).send(await activity.recordViews(recorderOf(request), request.body.views)),
  )
  app.get(
    '/api/activity/customers/:id/views',
    {
      schema: {
        tags,
        summary: "A customer's recent views",
        description: `Newest first, with each product's SKU, name and price. ${ONE} ${STAFF}`,
        params: IdParams,
        querystring: RecentViewsQuery,
        response: { 200: RecentViews, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => activity.listRecentViews(principalOf(request), request.params.id, request.query.limit),
  )
  app.get(
    '/api/activity/products/:id/views',
    {
      schema: {
        tags,
        summary: "A product's views by day and source",
        description: `Views counted per local day (in \`timeZone\`, default UTC) and source, from \`from\` to \`to\` inclusive. ${ONE} ${STAFF}`,
        params: IdParams,
        querystring: ProductViewsQuery,
        response: { 200: ProductViewsByDay, ...errorResponses(400, 401, 404, 422) },
      },
    },
    async (request) => activity.countProductViews(principalOf(request), request.params.id, request.query),
  )
}

function registerScoreRoutes(app: HttpServer, activity: ActivityService): void {
  app.put(
    '/api/activity/scores',
    {
      schema: {
        tags,
        summary: 'Upsert recommendation scores',
        description:
          'Inserts or updates up to 10,000 scores per (customer, algorithm, product) in one statement. Nothing is written ' +
          'when a customer or product is unknown (422 naming the rows) or when two rows name the same key (422 naming both). ' +
          'Needs an admin or manager token.',
        body: UpsertScoresBody,
        response: { 200: UpsertedScores, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => activity.upsertScores(principalOf(request), request.body.scores),
  )
  app.get(
    '/api/activity/customers/:id/recommendations',
    {
      schema: {
        tags,
        summary: "A customer's top recommendations",
        description: `The active products with the best scores of \`algorithm\`, best first. ${ONE} ${STAFF}`,
        params: IdParams,
        querystring: RecommendationsQuery,
        response: { 200: Recommendations, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      principalOf(request)
      return activity.topRecommendations({ customerId: request.params.id, ...request.query })
    },
  )
  app.get(
    '/api/store/recommendations',
    {
      schema: {
        tags: ['store: customers'],
        summary: 'My recommendations',
        description: `The signed-in shopper's products with the best scores of \`algorithm\`, best first. ${ONE} Needs a customer session token.`,
        querystring: RecommendationsQuery,
        response: { 200: Recommendations, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) =>
      noStore(reply).send(await activity.topRecommendations({ customerId: customerOf(request).customer.id, ...request.query })),
  )
}
