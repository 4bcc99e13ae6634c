export {
  type ProductRollupDelta,
  ROLLUP_CTE,
  rollupBucketOf,
  SALES_ROLLUP_SHARDS,
  type SalesChannel,
  type SalesRollupDelta,
  salesRollupCtes,
} from './reporting.fragments.ts'
export { registerReportingRoutes } from './reporting.routes.ts'
export { createReportingService, type ReportingService } from './reporting.service.ts'
