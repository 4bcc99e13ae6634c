import type { Command } from 'commander'
import type { BriskApp } from '../app.ts'
import type { Config } from '../config/config.ts'
import type { SeedReport } from '../demo/seed-demo.ts'
import { recordServerUrl } from '../infra/db/data-dir-lock.ts'
import { cliConfig } from './context.ts'
import { parseHost, parsePort } from './arguments.ts'

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const

/**
 * A process manager sends SIGTERM to the pid it started: from then on no new connections, the
 * requests in flight finish, the database closes, exit 0 — or exit 1 after the timeout. A signal
 * during start-up (migrations, seeding) stops the server once that is done; a second one exits at once.
 */
function stopOnSignals(timeoutMs: number) {
  let app: BriskApp | undefined
  let signalled: string | undefined
  const stop = async () => {
    if (!app || !signalled) return
    app.http.log.info({ signal: signalled }, 'shutting down: draining requests and closing the database')
    await app.close()
    process.exit(0)
  }
  const exitNow = (message: string) => {
    if (app) app.http.log.error(message)
    else console.error(message)
    process.exit(1)
  }
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      if (signalled) exitNow(`${signal} again: exiting without waiting for requests in flight`)
      signalled = signal
      const late = `Brisk did not stop within ${timeoutMs} ms (BRISK_SHUTDOWN_TIMEOUT_MS); exiting`
      setTimeout(() => exitNow(late), timeoutMs).unref()
      stop().catch((error: Error) => exitNow(`shutting down failed: ${error.message}`))
    })
  }
  return {
    get stopping() {
      return signalled !== undefined
    },
    /** The app to close on a signal; if one came while it was starting, that happens now. */
    attach(built: BriskApp) {
      app = built
      return stop()
    },
  }
}

/** The start-up banner: text for a person at a terminal, else a JSON log line like every other. */
export function announce(app: Pick<BriskApp, 'db' | 'http'>, url: string, seed: SeedReport | undefined, tty: boolean): void {
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
    app.http.log.info({ url, docs: `${url}/docs`, database: app.db.description, ...(demo ? { demo } : {}) }, 'Brisk is ready')
    return
  }
  const lines = ['', `Brisk is running at ${url}  (API docs: ${url}/docs)`, `Database: ${app.db.description}`]
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

export function register(program: Command, summary: string): void {
  program
    .command('serve')
    .summary(summary)
    .description(
      `${summary}\n\nOn the embedded database (BRISK_DATABASE_URL unset) the demo shop is seeded on the first start and ` +
        'its admin and cashier tokens are printed; on PostgreSQL only with BRISK_SEED_DEMO=true (or run `brisk seed`). ' +
        'On a terminal the start-up banner is text; otherwise it is a JSON log line like the others. SIGTERM, SIGINT ' +
        'and SIGHUP drain requests in flight and close the database (at most BRISK_SHUTDOWN_TIMEOUT_MS).',
    )
    .option('--port <port>', 'port to listen on (default: BRISK_PORT or 3000)', parsePort)
    .option('--host <address>', 'address to listen on (default: BRISK_HOST or 127.0.0.1)', parseHost)
    .option('--no-seed', 'do not seed the demo shop, whatever BRISK_SEED_DEMO says')
    .addHelpText(
      'after',
      '\nExamples:\n  brisk serve\n  BRISK_DATABASE_URL=postgres://brisk@127.0.0.1:5432/brisk brisk serve --port 8080',
    )
    .action(async (options: { port?: number; host?: string; seed: boolean }) => {
      await serve(
        cliConfig({
          ...(options.port !== undefined ? { port: options.port } : {}),
          ...(options.host !== undefined ? { host: options.host } : {}),
          ...(options.seed ? {} : { seedDemo: false }),
        }),
      )
    })
}
