export { type LineRef, type ResolvedLine, resolveLines } from './catalog.quantities.ts'
export { registerCatalogRoutes } from './catalog.routes.ts'
export { type CatalogService, createCatalogService } from './catalog.service.ts'
