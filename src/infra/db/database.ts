import type { Kysely } from 'kysely'
// Type-only imports: the database shape is the union of each module's tables; no runtime coupling.
import type { AccessTables } from '../../modules/access/access.tables.ts'
import type { ActivityTables } from '../../modules/activity/activity.tables.ts'
import type { CatalogTables } from '../../modules/catalog/catalog.tables.ts'
import type { CustomersTables } from '../../modules/customers/customers.tables.ts'
import type { ImportsTables } from '../../modules/imports/imports.tables.ts'
import type { InventoryTables } from '../../modules/inventory/inventory.tables.ts'
import type { OrdersTables } from '../../modules/orders/orders.tables.ts'
import type { ReportingTables } from '../../modules/reporting/reporting.tables.ts'
import type { SalesTables } from '../../modules/sales/sales.tables.ts'
import type { BatchLogTables } from '../batch-log/batch-log.tables.ts'
import type { IdempotencyTables } from '../idempotency/idempotency.tables.ts'
import type { ReadRouter } from './read-router.ts'

export interface MigrationTable {
  name: string
  checksum: string
  applied_at: Date
  duration_ms: number
}

export interface Database
  extends AccessTables,
    CatalogTables,
    InventoryTables,
    SalesTables,
    ReportingTables,
    CustomersTables,
    OrdersTables,
    ActivityTables,
    ImportsTables,
    IdempotencyTables,
    BatchLogTables {
  brisk_migration: MigrationTable
}

/** A database or a transaction: every repository function takes one as its first argument. */
export type Executor = Kysely<Database>

export type DatabaseKind = 'pglite' | 'postgres'

export interface PoolStats {
  /** open connections */
  total: number
  idle: number
  /** queries waiting for a connection */
  waiting: number
  max: number
}

export interface Db {
  readonly kind: DatabaseKind
  /** Writes, and reads that must see the latest data. */
  readonly primary: Kysely<Database>
  /** Reads that can accept replica lag (catalog browsing, storefront, reports). */
  readonly reader: Kysely<Database>
  /**
   * Writes of bulk work (imports) on PostgreSQL: the primary through connections whose statements
   * give up waiting for a row lock after a short while, so bulk work yields to the tills. PGlite
   * has none (its one connection runs one transaction at a time: nothing waits for a lock).
   */
  readonly bulk?: Kysely<Database>
  /** A short description for logs, never with a password. */
  readonly description: string
  /** The replicas behind `reader` and their health, when BRISK_REPLICA_URLS is set. */
  readonly replicas?: ReadRouter
  /** The primary's connection pool, for metrics; PGlite has none (one connection). */
  readonly poolStats?: () => PoolStats
  close(): Promise<void>
}
