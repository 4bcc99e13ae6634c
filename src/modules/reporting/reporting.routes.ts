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
        summary: 'Sales by hour of a day',
        description:
          'Sales of one location by hour for a day in `timeZone` (default UTC), read from the rollups: every hour of that ' +
          'day (23 or 25 on daylight-saving days), labelled with its local time and offset, zeros where nothing was sold. ' +
          'Exact in every zone: the rollups count per UTC quarter hour, so Asia/Kolkata (+05:30) and Asia/Kathmandu ' +
          '(+05:45) get their own clock hours.',
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
        summary: 'Best-selling products',
        description:
          'Best-selling products of one location from `from` to `to` (days in `timeZone`, default UTC), by total or ' +
          'quantity, read from the rollups.',
        querystring: TopProductsQuery,
        response: { 200: TopProducts, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => reporting.topProducts(principalOf(request), request.query),
  )
}
