import { type BriskApp, buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import { connectPostgres } from '../../infra/db/connect.ts'
import { migrate } from '../../infra/db/migrations.ts'
import type { ReadRouter } from '../../infra/db/read-router.ts'
import { AppError } from '../../infra/errors.ts'
import { CLUSTER_PROGRAMS, type PgCluster, startPgCluster } from '../../infra/pg-cluster/pg-cluster.ts'
import { findPostgresBinaries } from '../../infra/pg-cluster/pg-server-process.ts'
import { type BenchProduct, setUpWorkload } from '../catalog-read/setup.ts'
import type { Progress } from '../progress.ts'

/**
 * Brisk's replica settings in this bench: short, so a killed replica is benched by its first
 * failed read and a read never waits long on a node that stopped answering. Printed with the figures.
 */
export const REPLICA_ENV = {
  BRISK_DB_CONNECT_TIMEOUT_MS: '1000',
  BRISK_REPLICA_QUERY_TIMEOUT_MS: '1000',
  BRISK_REPLICA_MAX_LAG_MS: '1000',
  BRISK_REPLICA_CHECK_INTERVAL_MS: '100',
}

export const CLUSTER_REPLICAS = 2

/** Where the PostgreSQL server programs are; without them the bench cannot run, and says what is missing. */
export function clusterBindir(): string {
  const found = findPostgresBinaries(CLUSTER_PROGRAMS)
  if ('bindir' in found) return found.bindir
  throw new AppError(
    'unavailable',
    'BENCH_POSTGRES_SERVER_MISSING',
    `read-scaling starts a PostgreSQL primary and ${CLUSTER_REPLICAS} streaming replicas of its own, and needs the PostgreSQL ` +
      `server programs (${CLUSTER_PROGRAMS.join(', ')}, found through pg_config --bindir): ${found.missing}. ` +
      'Install the PostgreSQL server package (e.g. postgresql-15 on Debian or Ubuntu).',
  )
}

/** A primary with two streaming replicas, migrated, `count` products on every node. */
export async function startSeededCluster(count: number, progress: Progress): Promise<{ cluster: PgCluster; products: BenchProduct[] }> {
  const bindir = clusterBindir()
  progress.phase(`starting a PostgreSQL primary and ${CLUSTER_REPLICAS} streaming replicas (initdb, pg_basebackup)`)
  const cluster = await startPgCluster({ replicas: CLUSTER_REPLICAS, bindir })
  try {
    progress.phase(`migrating the primary and writing ${count} products`)
    const db = connectPostgres({ url: cluster.primary.url, poolSize: 2, statementTimeoutMs: 0 })
    try {
      await migrate(db.primary)
      const { products } = await setUpWorkload(db, count, 0)
      await cluster.waitForReplay()
      return { cluster, products }
    } finally {
      await db.close()
    }
  } catch (error) {
    await cluster.remove()
    throw error
  }
}

/** Brisk over the cluster's primary and its first `replicas` replicas, listening on a loopback port. */
export interface BriskOverCluster {
  replicas: number
  port: number
  /** the app's read router; none without replicas */
  router: ReadRouter | undefined
  close(): Promise<void>
}

export async function startBrisk(cluster: PgCluster, replicas: number, clients: number): Promise<BriskOverCluster> {
  const config = loadConfig({
    ...REPLICA_ENV,
    BRISK_DATABASE_URL: cluster.primary.url,
    BRISK_REPLICA_URLS: cluster.replicas
      .slice(0, replicas)
      .map((r) => r.url)
      .join(','),
    // catalog reads with the cache off go to db.reader: the replicas
    BRISK_CACHE: 'off',
    // silent: at info every request writes an access line, at warn the kill would print into the table
    BRISK_LOG_LEVEL: 'silent',
    BRISK_DB_POOL_SIZE: String(Math.max(4, clients)),
  })
  const app: BriskApp = await buildApp(config, { migrate: false })
  try {
    const router = app.db.replicas
    // every replica measured once: none is taken for lagging before the monitor's first round
    await router?.checkLag()
    const url = new URL(await app.http.listen({ host: '127.0.0.1', port: 0 }))
    return { replicas, port: Number(url.port), router, close: () => app.close() }
  } catch (error) {
    await app.close()
    throw error
  }
}
