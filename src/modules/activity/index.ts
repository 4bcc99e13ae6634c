export type { ActivityTables, ProductViewTable, RecommendationScoreTable } from './activity.tables.ts'
export { pruneOldViews, type PruneViewsOptions, scheduleViewPruning } from './activity.maintenance.ts'
export { registerActivityRoutes } from './activity.routes.ts'
export { type ActivityService, createActivityService } from './activity.service.ts'
