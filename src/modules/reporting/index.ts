export {
  applySalesRollups,
  type ProductRollupDelta,
  SALES_ROLLUP_SHARDS,
  type SalesRollupDelta,
  salesRollupCtes,
} from './reporting.repository.ts'
export { registerReportingRoutes } from './reporting.routes.ts'
export { createReportingService, type ReportingService } from './reporting.service.ts'
