import cluster from 'node:cluster'
import os from 'node:os'
import type { Command } from 'commander'
import type { BriskApp } from '../app.ts'
import type { Config } from '../config/config.ts'
import type { SeedReport } from '../demo/seed-demo.ts'
import { recordServerUrl } from '../infra/db/data-dir-lock.ts'
import { cliConfig } from './context.ts'
import { parseHost, parsePort, wholeNumber } from './arguments.ts'
import { UsageError } from './errors.ts'

export const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const
const MAX_WORKERS = 256

/**
 * A process manager sends SIGTERM to the pid it started: from then on no new connections, the
 * requests in flight finish, the database closes, exit 0 — or exit 1 after the timeout. A signal
 * during start-up (migrations, seeding) stops the server once that is done; a second one exits at once.
 * A cluster worker is also told to stop by its primary (stop()); that does not count as a first
 * signal, so Ctrl+C, which reaches the primary and every worker, still drains.
 */
export function stopOnSignals(timeoutMs: number) {
  let app: BriskApp | undefined
  let stopping: string | undefined
  let signals = 0
  const stop = async () => {
    if (!app || !stopping) return
    app.http.log.info({ signal: stopping }, 'shutting down: draining requests and closing the database')
    await app.close()
    process.exit(0)
  }
  const exitNow = (message: string) => {
    if (app) app.http.log.error(message)
    else console.error(message)
    process.exit(1)
  }
  const begin = (reason: string) => {
    if (stopping) return
    stopping = reason
    const late = `Brisk did not stop within ${timeoutMs} ms (BRISK_SHUTDOWN_TIMEOUT_MS); exiting`
    setTimeout(() => exitNow(late), timeoutMs).unref()
    stop().catch((error: Error) => exitNow(`shutting down failed: ${error.message}`))
  }
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      signals += 1
      if (signals > 1) exitNow(`${signal} again: exiting without waiting for requests in flight`)
      begin(signal)
    })
  }
  return {
    get stopping() {
      return stopping !== undefined
    },
    /** The app to close on a signal; if one came while it was starting, that happens now. */
    attach(built: BriskApp) {
      app = built
      return stop()
    },
    /** Drains and exits as on a signal (`reason` is logged as the signal). */
    stop: begin,
  }
}

/** What the banner needs: a cluster's primary has no app, only the database it migrated and a log. */
export interface Announcer {
  db: Pick<BriskApp['db'], 'kind' | 'description'>
  http: { log: { info(fields: object, message: string): void } }
}

/** The start-up banner: text for a person at a terminal, else a JSON log line like every other. */
export function announce(app: Announcer, url: string, seed: SeedReport | undefined, tty: boolean, workers = 1): void {
  const embedded = app.db.kind === 'pglite'
  if (!tty) {
    // The demo tokens go into a log only on the embedded demo, never from a PostgreSQL shop.
    const demo = seed?.seeded
      ? {
          products: seed.products,
          locations: seed.locations,
          ...(embedded ? { adminToken: seed.adminToken, cashierToken: seed.cashierToken, cashierLocation: seed.cashierLocation } : {}),
        }
      : undefined
    const cluster = workers > 1 ? { workers } : {}
    app.http.log.info({ url, docs: `${url}/docs`, database: app.db.description, ...cluster, ...(demo ? { demo } : {}) }, 'Brisk is ready')
    return
  }
  const lines = ['', `Brisk is running at ${url}  (API docs: ${url}/docs)`, `Database: ${app.db.description}`]
  if (workers > 1) lines.push(`Workers: ${workers} processes (this one, pid ${process.pid}, restarts any that dies)`)
  if (seed?.seeded) {
    lines.push(
      `Demo shop seeded: ${seed.products} products, ${seed.locations} locations.`,
      `  admin token:   ${seed.adminToken}`,
      `  cashier token: ${seed.cashierToken}   (location ${seed.cashierLocation})`,
      '  Tokens are shown once; make more with `npm run brisk -- token create --role cashier`',
      `  or POST ${url}/api/tokens with the admin token.`,
    )
  }
  lines.push('Press Ctrl+C to stop.', '')
  console.log(lines.join('\n'))
}

async function serve(config: Config): Promise<void> {
  const signals = stopOnSignals(config.shutdownTimeoutMs)
  const { buildApp } = await import('../app.ts')
  const app = await buildApp(config)
  try {
    let seed: SeedReport | undefined
    if (config.seedDemo && !signals.stopping) {
      const { seedDemoShop } = await import('../demo/seed-demo.ts')
      seed = await seedDemoShop(app.db, app.services, { onlyIfEmpty: true })
    }
    if (!signals.stopping) {
      const url = await app.http.listen({ port: config.port, host: config.host })
      app.startBackgroundJobs()
      if (app.db.kind === 'pglite') recordServerUrl(config.dataDir, url)
      announce(app, url, seed, process.stdout.isTTY === true)
    }
  } catch (error) {
    await app.close()
    throw error
  }
  await signals.attach(app)
}

/** `--workers`: a number of processes, or `auto` for one per core. */
export function parseWorkers(value: string): number {
  return value === 'auto' ? os.availableParallelism() : wholeNumber(1, MAX_WORKERS, 'a number of workers, or auto')(value)
}

/**
 * Several workers need a database every process can open, and Redis unless caching is off: each
 * worker caches master data and tokens in its own memory, and only the Redis bus evicts the
 * others' copies when one changes (without it a price change or a revoked token would not reach
 * the other workers). Invalidation over PostgreSQL (LISTEN/NOTIFY) was the alternative; Redis is
 * the shared tier the cache already has, and BRISK_CACHE=off covers the rest.
 */
export function refuseWorkers(config: Pick<Config, 'databaseUrl' | 'redisUrl' | 'cache'>, workers: number): void {
  if (workers === 1) return
  const alternative = 'or serve with one worker (leave out --workers).'
  if (config.databaseUrl === undefined) {
    throw new UsageError(
      `--workers ${workers}: the embedded database (BRISK_DATA_DIR) belongs to one process. Several workers need ` +
        `PostgreSQL (BRISK_DATABASE_URL) and Redis (BRISK_REDIS_URL) or BRISK_CACHE=off; set BRISK_DATABASE_URL, ${alternative}`,
    )
  }
  if (config.redisUrl === undefined && config.cache) {
    throw new UsageError(
      `--workers ${workers} needs Redis (BRISK_REDIS_URL): each worker caches products, prices and tokens in its own memory, ` +
        'and only the Redis bus tells the others when one changes (a changed price or a revoked token would keep being ' +
        `served by them). Set BRISK_REDIS_URL, or BRISK_CACHE=off to read through to the database, ${alternative}`,
    )
  }
}

interface ServeOptions {
  port?: number
  host?: string
  seed: boolean
  workers: number
}

export function register(program: Command, summary: string): void {
  program
    .command('serve')
    .summary(summary)
    .description(
      `${summary}\n\nOn the embedded database (BRISK_DATABASE_URL unset) the demo shop is seeded on the first start and ` +
        'its admin and cashier tokens are printed; on PostgreSQL only with BRISK_SEED_DEMO=true (or run `brisk seed`). ' +
        'On a terminal the start-up banner is text; otherwise it is a JSON log line like the others. SIGTERM, SIGINT ' +
        'and SIGHUP drain requests in flight and close the database (at most BRISK_SHUTDOWN_TIMEOUT_MS).\n\n' +
        'With --workers N (or auto: one per core) the process started migrates and seeds once, then runs N worker ' +
        'processes on the one port (node:cluster) and prints the ready line once all of them listen. It restarts a worker ' +
        'that dies (5 times a minute at most: a 6th death stops Brisk with exit 1) and on a signal drains them all. ' +
        'GET /metrics on any worker answers for all: request, pool and cache figures summed, process figures (memory, CPU, ' +
        'event loop) per worker with a worker label. More than one worker needs PostgreSQL (BRISK_DATABASE_URL): the ' +
        'embedded database belongs to one process. It also needs Redis (BRISK_REDIS_URL), which carries the evictions ' +
        'between the workers\' memory caches, unless BRISK_CACHE=off.',
    )
    .option('--port <port>', 'port to listen on (default: BRISK_PORT or 3000)', parsePort)
    .option('--host <address>', 'address to listen on (default: BRISK_HOST or 127.0.0.1)', parseHost)
    .option('--no-seed', 'do not seed the demo shop, whatever BRISK_SEED_DEMO says')
    .option(
      '--workers <n>',
      'worker processes sharing the port: a number or auto (one per core); more than 1 needs PostgreSQL, and Redis unless BRISK_CACHE=off',
      parseWorkers,
      1,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  brisk serve\n  BRISK_DATABASE_URL=postgres://brisk@127.0.0.1:5432/brisk brisk serve --port 8080\n' +
        '  BRISK_DATABASE_URL=postgres://brisk@127.0.0.1:5432/brisk BRISK_REDIS_URL=redis://127.0.0.1:6379 brisk serve --workers auto',
    )
    .action(async (options: ServeOptions) => {
      const config = cliConfig({
        ...(options.port !== undefined ? { port: options.port } : {}),
        ...(options.host !== undefined ? { host: options.host } : {}),
        ...(options.seed ? {} : { seedDemo: false }),
      })
      // A worker runs the same command line as its primary; one worker is a plain process, no cluster at all.
      if (cluster.isWorker) return (await import('./serve-worker.ts')).serveWorker(config)
      refuseWorkers(config, options.workers)
      if (options.workers > 1) return (await import('./serve-primary.ts')).servePrimary(config, options.workers)
      await serve(config)
    })
}
