import type { HttpServer } from '../../infra/http/server.ts'
import type { CatalogService } from './catalog.service.ts'

export function registerCatalogRoutes(_app: HttpServer, _catalog: CatalogService): void {}
