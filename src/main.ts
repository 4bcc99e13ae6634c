#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander'
import { buildApp, openDatabase } from './app.ts'
import { BENCH_SCENARIOS } from './bench/index.ts'
import { ConfigError, type Config, loadConfig, renderConfigDoc, renderEnvExample } from './config/config.ts'
import { seedDemoShop } from './demo/seed-demo.ts'
import { DataDirLockedError } from './infra/db/data-dir-lock.ts'
import { formatViolations, runLintCommand } from './infra/db/migration-lint/index.ts'
import { formatMigrationPlan, MigrationError, migrate, migrationStatus, planMigrations } from './infra/db/migrations.ts'
import { newQueryStats, runWithQueryStats } from './infra/db/query-stats.ts'
import { AppError } from './infra/errors.ts'
import { pruneIdempotencyKeys } from './infra/idempotency/idempotency.maintenance.ts'
import { createAccessService, ROLES, type Role } from './modules/access/index.ts'

function config(): Config {
  return loadConfig()
}

/** Runs a CLI operation against the configured database and reports the statements it sent. */
async function withDatabase<T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const db = await openDatabase(config())
  const stats = newQueryStats()
  try {
    return await runWithQueryStats(stats, () => fn(db))
  } finally {
    await db.close()
    console.error(`(${stats.count} SQL statements, ${stats.durationMs.toFixed(1)} ms in the database)`)
  }
}

const program = new Command()
program
  .name('brisk')
  .description('Brisk: a fast, correct point-of-sale and online-store backend.')
  .showHelpAfterError('(run with --help for usage)')

program
  .command('serve')
  .description('Migrate, seed the demo shop on first start (embedded database), and serve the HTTP API.')
  .option('--port <port>', 'port to listen on (default: BRISK_PORT or 3000)', (v) => {
    const port = Number(v)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('a port is 0–65535')
    return port
  })
  .option('--no-seed', 'do not seed the demo shop')
  .action(async (options: { port?: number; seed: boolean }) => {
    const base = config()
    const cfg = loadConfig(process.env, {
      ...(options.port !== undefined ? { port: options.port } : {}),
      seedDemo: base.seedDemo && options.seed,
    })
    const app = await buildApp(cfg)
    let closing = false
    const shutdown = async (signal: string) => {
      if (closing) return
      closing = true
      app.http.log.info({ signal }, 'shutting down: draining requests and closing the database')
      const force = setTimeout(() => process.exit(1), 10_000)
      force.unref()
      await app.close()
      process.exit(0)
    }
    process.on('SIGINT', () => void shutdown('SIGINT'))
    process.on('SIGTERM', () => void shutdown('SIGTERM'))
    let seedReport: Awaited<ReturnType<typeof seedDemoShop>> | undefined
    if (cfg.seedDemo) seedReport = await seedDemoShop(app.db, app.services, { onlyIfEmpty: true })
    const address = await app.http.listen({ port: cfg.port, host: cfg.host })
    if (!closing) app.startBackgroundJobs()
    const lines = [
      '',
      `Brisk is running at ${address}  (API docs: ${address}/docs)`,
      `Database: ${app.db.description}`,
    ]
    if (seedReport?.seeded) {
      lines.push(
        `Demo shop seeded: ${seedReport.products} products, ${seedReport.locations} locations.`,
        `  admin token:   ${seedReport.adminToken}`,
        `  cashier token: ${seedReport.cashierToken}   (location ${seedReport.cashierLocation})`,
        '  Tokens are shown once; make more with `npm run brisk -- token create --role cashier`.',
      )
    }
    lines.push('Press Ctrl+C to stop.', '')
    console.log(lines.join('\n'))
  })

const migrateCommand = program
  .command('migrate')
  .description('Apply pending migrations from migrations/ (one transaction per file, under an advisory lock).')
  .option('--dry-run', 'show what would run, and what the linter says, without running anything')
  .option('--unsafe', 'apply files even if the migration linter rejects them')
  .action(async (options: { dryRun?: boolean; unsafe?: boolean }) => {
    await withDatabase(async (db) => {
      if (options.dryRun) {
        console.log(formatMigrationPlan(await planMigrations(db.primary)))
        return
      }
      const applied = await migrate(db.primary, {
        unsafe: options.unsafe ?? false,
        onLintViolations: (violations) => console.error(formatViolations(violations)),
        onApplied: (name, ms) => console.log(`applied ${name} (${ms.toFixed(0)} ms)`),
      })
      console.log(applied.length === 0 ? 'Nothing to apply: the database is up to date.' : `Applied ${applied.length} migration(s).`)
    })
  })

migrateCommand
  .command('lint')
  .description('Check migrations against the zero-downtime rules (docs/migrations.md); exit 1 on any violation.')
  .argument('[files...]', 'migration files (default: every file in migrations/)')
  .option('--json', 'print violations as JSON')
  .action(async (files: string[], options: { json?: boolean }) => {
    process.exitCode = await runLintCommand(files, { json: options.json ?? false })
  })

migrateCommand
  .command('status')
  .description('List migrations and whether each is applied, pending or changed since it was applied.')
  .action(async () => {
    await withDatabase(async (db) => {
      const statuses = await migrationStatus(db.primary)
      for (const s of statuses) {
        console.log(`${s.state.padEnd(8)} ${s.name}${s.appliedAt ? `  (${s.appliedAt.toISOString()})` : ''}`)
      }
    })
  })

program
  .command('seed')
  .description('Seed the demo shop (products, categories, units, two locations with stock, tokens).')
  .option('--force', 'seed even if the database already has products')
  .action(async (options: { force?: boolean }) => {
    await withDatabase(async (db) => {
      await migrate(db.primary)
      const { createServices } = await import('./app.ts')
      const report = await seedDemoShop(db, createServices(db, config()), { onlyIfEmpty: !options.force })
      if (!report.seeded) {
        console.log('The database has products already; nothing seeded (use --force to seed anyway).')
        return
      }
      console.log(`Seeded ${report.products} products in ${report.categories} categories, ${report.locations} locations.`)
      console.log(`admin token:   ${report.adminToken}`)
      console.log(`cashier token: ${report.cashierToken}`)
    })
  })

const prune = program.command('prune').description('Delete data that is kept only for a while.')
prune
  .command('idempotency-keys')
  .description(
    'Delete idempotency keys older than BRISK_IDEMPOTENCY_KEY_TTL_HOURS (default 24), in batches. `brisk serve` does this every hour.',
  )
  .option('--older-than-hours <hours>', 'delete keys created more than this many hours ago (default: the TTL)', (v) => {
    const hours = Number(v)
    if (!Number.isInteger(hours) || hours < 1 || hours > 1_000_000) throw new InvalidArgumentError('a whole number of hours, at least 1')
    return hours
  })
  .action(async (options: { olderThanHours?: number }) => {
    const ttlHours = options.olderThanHours ?? config().idempotencyKeyTtlHours
    await withDatabase(async (db) => {
      await migrate(db.primary)
      const started = performance.now()
      const deleted = await pruneIdempotencyKeys(db, { ttlHours })
      const ms = (performance.now() - started).toFixed(0)
      console.log(`Deleted ${deleted} idempotency key(s) older than ${ttlHours} hour(s) in ${ms} ms.`)
    })
  })

const token = program.command('token').description('Manage API tokens.')
token
  .command('create')
  .description('Create an API token; it is printed once and stored only as a hash.')
  .addOption(new Option('--role <role>', 'role of the token').choices(ROLES as string[]).makeOptionMandatory())
  .option('--name <name>', 'what the token is for', 'cli')
  .option('--location <code...>', 'limit the token to these location codes')
  .action(async (options: { role: Role; name: string; location?: string[] }) => {
    await withDatabase(async (db) => {
      await migrate(db.primary)
      const created = await createAccessService(db).createToken({
        name: options.name,
        role: options.role,
        ...(options.location ? { locations: options.location } : {}),
      })
      console.log(created.token)
      console.error(
        `token ${created.id} (${created.role}${created.locationIds ? `, locations ${created.locationIds.join(', ')}` : ', every location'})`,
      )
    })
  })
token
  .command('list')
  .description('List API tokens (never their secrets).')
  .action(async () => {
    await withDatabase(async (db) => {
      for (const t of await createAccessService(db).listTokens()) {
        console.log(
          `${String(t.id).padStart(4)}  ${t.role.padEnd(8)} ${t.revoked_at ? 'revoked ' : 'active  '} ${t.name}` +
            (t.location_ids ? `  locations ${t.location_ids.join(',')}` : ''),
        )
      }
    })
  })
token
  .command('revoke')
  .description('Revoke an API token by id.')
  .argument('<id>', 'token id (see `brisk token list`)')
  .action(async (id: string) => {
    await withDatabase(async (db) => {
      await createAccessService(db).revokeToken(Number(id))
      console.log(`token ${id} revoked`)
    })
  })

const bench = program.command('bench').description('Benchmark scenarios: each prints a table, or JSON with --json.')
for (const scenario of BENCH_SCENARIOS) {
  const command = bench.command(scenario.name).description(scenario.description)
  for (const option of scenario.options) {
    command.option(option.flags, option.description, option.defaultValue as string | boolean | undefined)
  }
  command.option('--json', 'print JSON instead of a table')
  command.action(async (options: Record<string, string | boolean | undefined>) => {
    await scenario.run(config(), options)
  })
}

const configCommand = program.command('config').description('Show how Brisk is configured.')
configCommand
  .command('env-example')
  .description('Print .env.example, generated from the configuration schema.')
  .action(() => {
    process.stdout.write(renderEnvExample())
  })
configCommand
  .command('doc')
  .description('Print docs/configuration.md, generated from the configuration schema.')
  .action(() => {
    process.stdout.write(renderConfigDoc())
  })

function explain(error: unknown): string {
  if (error instanceof ConfigError) return `Configuration error: ${error.message}`
  if (error instanceof DataDirLockedError || error instanceof MigrationError) return error.message
  if (error instanceof AppError) return `${error.code}: ${error.message}`
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ECONNREFUSED') return `Cannot reach the database: ${(error as Error).message}`
  return (error as Error).stack ?? String(error)
}

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(explain(error))
  process.exit(1)
})
