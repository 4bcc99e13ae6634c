/**
 * Brisk over a real primary with streaming replicas (src/infra/pg-cluster), for the replica fault
 * tests: the cluster, the migrated schema with some products on every node, an app built on them
 * with the cache off (so catalog reads reach the replicas), an admin token, and a load runner.
 *
 * Without the PostgreSQL server programs the tests skip, saying what is missing — except in CI
 * (CI set), where a missing program is an error: there they never skip.
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { type BriskApp, buildApp } from '../src/app.ts'
import { type Config, loadConfig } from '../src/config/config.ts'
import { connectPostgres } from '../src/infra/db/connect.ts'
import type { Db } from '../src/infra/db/database.ts'
import { migrate } from '../src/infra/db/migrations.ts'
import { CLUSTER_PROGRAMS, type PgCluster, startPgCluster } from '../src/infra/pg-cluster/pg-cluster.ts'
import { findPostgresBinaries } from '../src/infra/pg-cluster/pg-server-process.ts'
import { createProducts, createToken } from './factories.ts'

const binaries = findPostgresBinaries(CLUSTER_PROGRAMS)

/** For `test(name, { skip: clusterSkip }, …)`: false where a cluster can start, else why not. */
export const clusterSkip: string | false = (() => {
  if ('bindir' in binaries) return false
  const why = `no PostgreSQL server programs to start a cluster: ${binaries.missing}`
  if (process.env['CI']) throw new Error(`${why} (CI never skips the replica tests)`)
  return why
})()

export interface ClusterApp {
  cluster: PgCluster
  app: BriskApp
  /** `Bearer …` of an admin token */
  authorization: string
  productIds: number[]
  /** a connection of the test's own to the primary (not the app's) */
  primaryDb: Db
  close(): Promise<void>
}

export interface ClusterAppOptions {
  replicas?: number
  products?: number
  /** settings over the defaults below (short timeouts, cache off) */
  env?: Record<string, string>
}

/** Test timings: benched within a fraction of a second, no read waits seconds. */
const TEST_ENV = {
  BRISK_CACHE: 'off',
  BRISK_LOG_LEVEL: 'silent',
  BRISK_DB_CONNECT_TIMEOUT_MS: '1500',
  BRISK_REPLICA_QUERY_TIMEOUT_MS: '500',
  BRISK_REPLICA_MAX_LAG_MS: '1000',
  BRISK_REPLICA_CHECK_INTERVAL_MS: '100',
  BRISK_DB_POOL_SIZE: '10',
}

export async function startClusterApp(options: ClusterAppOptions = {}): Promise<ClusterApp> {
  if (!('bindir' in binaries)) throw new Error(binaries.missing)
  const cluster = await startPgCluster({ replicas: options.replicas ?? 2, bindir: binaries.bindir })
  let primaryDb: Db | undefined
  let app: BriskApp | undefined
  try {
    primaryDb = connectPostgres({ url: cluster.primary.url, poolSize: 4, statementTimeoutMs: 0 })
    await migrate(primaryDb.primary)
    const products = await createProducts(primaryDb, options.products ?? 20)
    const { authorization } = await createToken(primaryDb, 'admin')
    await cluster.waitForReplay()
    app = await buildApp(clusterConfig(cluster, options.env))
    await app.db.replicas?.checkLag()
    const opened = { app, primaryDb }
    return {
      cluster,
      app,
      authorization,
      productIds: products.map((p) => p.id),
      primaryDb,
      close: async () => {
        await opened.app.close()
        await opened.primaryDb.close()
        await cluster.remove()
      },
    }
  } catch (error) {
    await app?.close()
    await primaryDb?.close()
    await cluster.remove()
    throw error
  }
}

export function clusterConfig(cluster: PgCluster, env: Record<string, string> = {}): Config {
  return loadConfig({
    ...TEST_ENV,
    BRISK_DATABASE_URL: cluster.primary.url,
    BRISK_REPLICA_URLS: cluster.replicas.map((r) => r.url).join(','),
    ...env,
  })
}

export interface LoadSample {
  /** ms since the load started */
  at: number
  ms: number
  status: number
}

export interface Load {
  /** stops the clients and answers every request's sample, in the order they finished */
  stop(): Promise<LoadSample[]>
}

/**
 * `clients` loops, each sending `request` again as soon as the last one answered (status 0: it
 * threw), until stopped.
 */
export function startLoad(clients: number, request: (client: number, i: number) => Promise<number>): Load {
  const samples: LoadSample[] = []
  const started = performance.now()
  let running = true
  const loops = Array.from({ length: clients }, async (_, client) => {
    for (let i = 0; running; i++) {
      const sent = performance.now()
      const status = await request(client, i).catch(() => 0)
      samples.push({ at: sent - started, ms: performance.now() - sent, status })
      await sleep(0)
    }
  })
  return {
    async stop() {
      running = false
      await Promise.all(loops)
      return samples
    },
  }
}

/** The p-th percentile (0–100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

/** Polls `done` until true, failing after `timeoutMs`. */
export async function waitUntil(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const started = performance.now()
  while (!(await done())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await sleep(20)
  }
  return performance.now() - started
}
