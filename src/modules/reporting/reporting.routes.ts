import { errorResponses } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import { principalOf } from '../access/index.ts'
import { HourlySales, HourlySalesQuery, TopProducts, TopProductsQuery } from './reporting.schemas.ts'
import type { ReportingService } from './reporting.service.ts'

const tags = ['reporting']

export function registerReportingRoutes(app: HttpServer, reporting: ReportingService): void {
  app.get(
    '/api/reports/sales/hourly',
    {
      schema: {
        tags,
        description: 'Sales of one location by hour for a local day, read from the rollups.',
        querystring: HourlySalesQuery,
        response: { 200: HourlySales, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => reporting.salesByHour(principalOf(request), request.query),
  )

  app.get(
    '/api/reports/sales/top-products',
    {
      schema: {
        tags,
        description: 'Best-selling products of one location over local days, read from the rollups.',
        querystring: TopProductsQuery,
        response: { 200: TopProducts, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => reporting.topProducts(principalOf(request), request.query),
  )
}
