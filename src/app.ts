import type { FastifyRequest } from 'fastify'
import { type Config, refuseUnbuiltSettings } from './config/config.ts'
import { type Cache, createCache, memoryOnlyCache } from './infra/cache/cache.ts'
import { registerCacheMetrics } from './infra/cache/cache-metrics.ts'
import type { CacheLog } from './infra/cache/redis-tier.ts'
import { connectPglite, connectPostgres } from './infra/db/connect.ts'
import type { Db } from './infra/db/database.ts'
import { migrate } from './infra/db/migrations.ts'
import { registerHealthRoutes } from './infra/http/health.ts'
import { registerMetricsRoute } from './infra/http/metrics.ts'
import { type PruneSchedule, scheduleIdempotencyKeyPruning } from './infra/idempotency/idempotency.maintenance.ts'
import { createHttpServer, type HttpServer } from './infra/http/server.ts'
import {
  createAccessService,
  principalOf,
  registerAuthentication,
  registerTokenRoutes,
  requireRole,
} from './modules/access/index.ts'
import { createCatalogService, registerCatalogRoutes } from './modules/catalog/index.ts'
import { createInventoryService, registerInventoryRoutes } from './modules/inventory/index.ts'
import { createReportingService, registerReportingRoutes } from './modules/reporting/index.ts'
import { createSalesService, registerSalesRoutes } from './modules/sales/index.ts'

/** Opens the configured database: PostgreSQL when BRISK_DATABASE_URL is set, else embedded PGlite. */
export async function openDatabase(config: Config): Promise<Db> {
  refuseUnbuiltSettings(config)
  if (config.databaseUrl) {
    return connectPostgres({
      url: config.databaseUrl,
      poolSize: config.poolSize,
      statementTimeoutMs: config.statementTimeoutMs,
    })
  }
  return connectPglite(config.dataDir)
}

/**
 * The cache tiers as configured: this process's memory, and Redis when BRISK_REDIS_URL is set
 * (Brisk starts without it, warning, if it does not answer); BRISK_CACHE=off reads through.
 */
export function openCache(config: Config, log?: CacheLog): Promise<Cache> {
  return createCache({
    enabled: config.cache,
    memoryBytes: config.cacheMemoryMb * 1024 * 1024,
    redisUrl: config.redisUrl,
    redisTimeoutMs: config.redisTimeoutMs,
    prefix: config.cachePrefix,
    log,
  })
}

/**
 * Every module's service, built once over one database and one cache. Without `cache` they share a
 * memory tier of their own (scripts, tests); whoever passes one closes it.
 */
export function createServices(db: Db, config?: Pick<Config, 'idempotencyKeyTtlHours'>, cache: Cache = memoryOnlyCache()) {
  const access = createAccessService(db, cache)
  const catalog = createCatalogService(db, cache)
  const inventory = createInventoryService(db, cache)
  const sales = createSalesService(db, { ...(config ? { idempotencyKeyTtlHours: config.idempotencyKeyTtlHours } : {}), cache })
  const reporting = createReportingService(db)
  return { access, catalog, inventory, sales, reporting, cache }
}

export type Services = ReturnType<typeof createServices>

export interface BriskApp {
  config: Config
  db: Db
  /** the cache tiers every service reads master data through */
  cache: Cache
  services: Services
  http: HttpServer
  /** Starts what a serving process runs in the background (idempotency keys pruned hourly); close() stops it. */
  startBackgroundJobs(): void
  close(): Promise<void>
}

export interface BuildAppOptions {
  /** Use this database instead of opening the configured one (tests); the caller closes it. */
  db?: Db
  /** Apply pending migrations first (default true). */
  migrate?: boolean
}

/** The composition root: infra and modules are built here once; tests build the app here too. */
export async function buildApp(config: Config, options: BuildAppOptions = {}): Promise<BriskApp> {
  refuseUnbuiltSettings(config)
  const ownsDb = options.db === undefined
  const db = options.db ?? (await openDatabase(config))
  let cache: Cache | undefined
  try {
    if (options.migrate ?? true) await migrate(db.primary)
    const http = await createHttpServer(config)
    cache = await openCache(config, http.log)
    const services = createServices(db, config, cache)
    registerAuthentication(http, services.access)
    // Where the database lives and the traffic figures are for operators only.
    const requireAdmin = (request: FastifyRequest) => requireRole(principalOf(request), ['admin'])
    registerHealthRoutes(http, db, { authorizeDetails: requireAdmin })
    registerMetricsRoute(http, db, requireAdmin)
    registerCacheMetrics(http.metrics, cache)
    registerTokenRoutes(http, services.access)
    registerCatalogRoutes(http, services.catalog)
    registerInventoryRoutes(http, services.inventory)
    registerSalesRoutes(http, services.sales)
    registerReportingRoutes(http, services.reporting)
    const jobs: PruneSchedule[] = []
    const opened = cache
    return {
      config,
      db,
      cache: opened,
      services,
      http,
      startBackgroundJobs: () => {
        if (jobs.length > 0) return
        jobs.push(scheduleIdempotencyKeyPruning(db, { ttlHours: config.idempotencyKeyTtlHours, log: http.log }))
      },
      close: async () => {
        await Promise.all(jobs.map((job) => job.stop()))
        await http.close()
        await opened.close()
        if (ownsDb) await db.close()
      },
    }
  } catch (error) {
    await cache?.close()
    if (ownsDb) await db.close()
    throw error
  }
}
