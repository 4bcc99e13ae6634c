import type { FastifyRequest } from 'fastify'
import type { Config } from './config/config.ts'
import { type Cache, createCache, memoryOnlyCache } from './infra/cache/cache.ts'
import { registerBatchMetrics } from './infra/batch-log/batch-metrics.ts'
import { registerCacheMetrics } from './infra/cache/cache-metrics.ts'
import type { CacheLog } from './infra/cache/redis-tier.ts'
import { connectPglite, connectPostgres } from './infra/db/connect.ts'
import type { Db } from './infra/db/database.ts'
import type { RouterLog } from './infra/db/read-router.ts'
import { registerReplicaMetrics } from './infra/db/replica-metrics.ts'
import { WrittenPositions } from './infra/db/written-positions.ts'
import { installReadYourWrites } from './infra/http/read-your-writes.ts'
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
import { createActivityService, registerActivityRoutes } from './modules/activity/index.ts'
import { catalogCacheOf, createCatalogService, registerCatalogRoutes } from './modules/catalog/index.ts'
import {
  createCustomersService,
  isCustomerSessionToken,
  registerCustomerAuthentication,
  registerCustomerRoutes,
} from './modules/customers/index.ts'
import { createInventoryService, registerInventoryRoutes } from './modules/inventory/index.ts'
import { createImportsService, registerImportRoutes } from './modules/imports/index.ts'
import { createOrdersService, registerOrderRoutes, scheduleCartPruning } from './modules/orders/index.ts'
import { createReportingService, registerReportingRoutes } from './modules/reporting/index.ts'
import { createSalesService, registerSalesRoutes } from './modules/sales/index.ts'
import { createPageCache, registerPageCacheMetrics, registerStorefront } from './modules/storefront/index.ts'

const SILENT: RouterLog = { warn: () => {}, info: () => {} }

/**
 * Opens the configured database: PostgreSQL when BRISK_DATABASE_URL is set (with its replicas
 * behind `db.reader` when BRISK_REPLICA_URLS is), else embedded PGlite. `log` hears of replicas
 * benched, lagging and back.
 */
export async function openDatabase(config: Config, log: RouterLog = SILENT): Promise<Db> {
  if (config.databaseUrl) {
    return connectPostgres({
      url: config.databaseUrl,
      poolSize: config.poolSize,
      statementTimeoutMs: config.statementTimeoutMs,
      connectTimeoutMs: config.connectTimeoutMs,
      replicas: {
        urls: config.replicaUrls,
        queryTimeoutMs: config.replicaQueryTimeoutMs,
        maxLagMs: config.replicaMaxLagMs,
        checkIntervalMs: config.replicaCheckIntervalMs,
        log,
      },
    })
  }
  return connectPglite(config.dataDir)
}

/**
 * The sessions' last write positions, shared through Redis when configured. An entry outlives the
 * time any replica still serving can take to replay it: the lag limit plus two checks, and a margin.
 */
function writtenPositions(config: Config): WrittenPositions {
  const ttlMs = config.replicaMaxLagMs + 2 * config.replicaCheckIntervalMs + 1000
  return new WrittenPositions({
    ttlMs,
    redisUrl: config.redisUrl,
    redisTimeoutMs: config.redisTimeoutMs,
    keyPrefix: `${config.cachePrefix}:written-lsn:`,
  })
}

/** Whose writes a request's reads must see: its staff token's, or its signed-in shopper's. */
function sessionOfRequest(request: FastifyRequest): string | undefined {
  const tokenId = request.principal?.tokenId
  if (tokenId != null) return `token:${tokenId}`
  const customerId = request.customer?.customer.id
  return customerId === undefined ? undefined : `customer:${customerId}`
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
export function createServices(
  db: Db,
  config?: Pick<Config, 'idempotencyKeyTtlHours'> & Partial<Pick<Config, 'cartTtlHours'>>,
  cache: Cache = memoryOnlyCache(),
) {
  const access = createAccessService(db, cache)
  const catalog = createCatalogService(db, cache)
  const inventory = createInventoryService(db, cache)
  const sales = createSalesService(db, { ...(config ? { idempotencyKeyTtlHours: config.idempotencyKeyTtlHours } : {}), cache })
  const reporting = createReportingService(db)
  const orders = createOrdersService(db, { cache, cartTtlHours: config?.cartTtlHours ?? 72, idempotencyKeyTtlHours: config?.idempotencyKeyTtlHours })
  const customers = createCustomersService(db, { mergeGuestCart: orders.mergeGuestCart })
  const activity = createActivityService(db)
  const imports = createImportsService(db, { catalog: catalogCacheOf(cache, db) })
  return { access, catalog, inventory, sales, reporting, customers, orders, activity, imports, cache }
}

export type Services = ReturnType<typeof createServices>

export interface BriskApp {
  config: Config
  db: Db
  /** the cache tiers every service reads master data through */
  cache: Cache
  services: Services
  http: HttpServer
  /** Starts what a serving process runs in the background (idempotency keys and expired carts pruned hourly); close() stops it. */
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
  const ownsDb = options.db === undefined
  const http = await createHttpServer(config)
  let db: Db | undefined
  let cache: Cache | undefined
  let positions: WrittenPositions | undefined
  try {
    const database = options.db ?? (await openDatabase(config, http.log))
    db = database
    if (options.migrate ?? true) await migrate(db.primary)
    cache = await openCache(config, http.log)
    const services = createServices(db, config, cache)
    registerAuthentication(http, services.access, { leaveAlone: isCustomerSessionToken })
    registerCustomerAuthentication(http, services.customers)
    positions = db.replicas ? writtenPositions(config) : undefined
    if (positions) {
      await positions.ready(Math.max(config.redisTimeoutMs, 1000))
      installReadYourWrites(http, { db, positions, sessionOf: sessionOfRequest })
    }
    // Where the database lives and the traffic figures are for operators only.
    const requireAdmin = (request: FastifyRequest) => requireRole(principalOf(request), ['admin'])
    registerHealthRoutes(http, db, { authorizeDetails: requireAdmin })
    registerMetricsRoute(http, db, requireAdmin)
    registerCacheMetrics(http.metrics, cache)
    registerReplicaMetrics(http.metrics, db.replicas)
    registerBatchMetrics(http.metrics, database)
    registerTokenRoutes(http, services.access)
    registerCatalogRoutes(http, services.catalog)
    registerInventoryRoutes(http, services.inventory)
    registerSalesRoutes(http, services.sales)
    registerReportingRoutes(http, services.reporting)
    registerCustomerRoutes(http, services.customers)
    registerOrderRoutes(http, services.orders)
    registerActivityRoutes(http, services.activity)
    registerImportRoutes(http, services.imports)
    const pageCache = createPageCache(cache, { enabled: config.pageCache })
    registerPageCacheMetrics(http.metrics, pageCache)
    const storefront = await registerStorefront(http, services, { db, cartTtlHours: config.cartTtlHours, pageCache })
    const jobs: PruneSchedule[] = []
    const opened = cache
    const openedPositions = positions
    return {
      config,
      db: database,
      cache: opened,
      services,
      http,
      startBackgroundJobs: () => {
        if (jobs.length > 0) return
        jobs.push(scheduleIdempotencyKeyPruning(database, { ttlHours: config.idempotencyKeyTtlHours, log: http.log }))
        jobs.push(scheduleCartPruning(database, { log: http.log }))
        storefront.badges.start()
      },
      close: async () => {
        storefront.badges.close()
        await Promise.all(jobs.map((job) => job.stop()))
        await http.close()
        await opened.close()
        openedPositions?.close()
        if (ownsDb) await database.close()
      },
    }
  } catch (error) {
    await cache?.close()
    positions?.close()
    if (ownsDb) await db?.close()
    await http.close()
    throw error
  }
}
