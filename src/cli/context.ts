import path from 'node:path'
import { type Config, type EnvValues, loadConfig, readEnvFile } from '../config/config.ts'
import type { Services } from '../app.ts'
import type { Db } from '../infra/db/database.ts'
import { DataDirLockedError } from '../infra/db/data-dir-lock.ts'

let envFile: EnvValues | undefined

/** The .env of the folder brisk runs in, read once; tests of loadConfig never see it. */
export function envFileValues(): EnvValues {
  envFile ??= readEnvFile(path.resolve('.env'))
  return envFile
}

/** The configuration of this CLI run: the environment, then .env, then the defaults. */
export function cliConfig(overrides: Partial<Config> = {}): Config {
  return loadConfig(process.env, overrides, envFileValues())
}

/** What a command refused by a running embedded server can do instead. */
export interface LockedAdvice {
  /** The same work through the running server's API, as shell commands. */
  api?: (url: string) => string[]
  /** Why stopping the server may not be needed at all. */
  note?: string
}

/** The CLI's answer to a data folder held by another process: who holds it and what to do. */
export class DataDirBusyError extends Error {}

function busyMessage(error: DataDirLockedError, advice: LockedAdvice): string {
  const { holder } = error
  const lines = [error.summary]
  if (advice.note) lines.push(advice.note)
  if (holder.url && advice.api) {
    lines.push('Use its API with an admin token (in $ADMIN_TOKEN) instead:', ...advice.api(holder.url).map((c) => `  ${c}`))
    lines.push(`or stop it first (Ctrl+C in its terminal, or kill ${holder.pid}) and run this command again.`)
  } else if (holder.url) {
    lines.push(`Stop it first (Ctrl+C in its terminal, or kill ${holder.pid}), then run this command again.`)
  } else {
    lines.push(`Wait for it to finish or stop it (kill ${holder.pid}), then run this command again.`)
  }
  return lines.join('\n')
}

/** Single-quotes a value for a POSIX shell. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`
}

/** A curl command against a running Brisk, authenticated by $ADMIN_TOKEN. */
export function curl(method: 'GET' | 'POST', url: string, body?: unknown): string {
  const parts = ['curl -s', ...(method === 'POST' ? ['-X POST'] : []), shellQuote(url), '-H "authorization: Bearer $ADMIN_TOKEN"']
  if (body !== undefined) parts.push("-H 'content-type: application/json'", `-d ${shellQuote(JSON.stringify(body))}`)
  return parts.join(' ')
}

export interface DatabaseOptions {
  /** Apply pending migrations first (commands that write); reading commands leave a database as they find it. */
  migrate?: boolean
  whenLocked?: LockedAdvice
}

/**
 * Runs a CLI operation with the services over the configured database and cache tiers: a write made
 * here evicts what it changed from Redis and, over its bus, from every running server's memory.
 */
export async function withServices<T>(fn: (services: Services, db: Db, config: Config) => Promise<T>, options: DatabaseOptions = {}) {
  const { openCache, createServices } = await import('../app.ts')
  return withDatabase(async (db, config) => {
    const cache = await openCache(config, cliCacheLog)
    try {
      return await fn(createServices(db, config, cache), db, config)
    } finally {
      await cache.close()
    }
  }, options)
}

/** Redis trouble is worth a line on stderr; the rest of the cache's log is for servers. */
const cliCacheLog = {
  debug() {},
  info() {},
  warn: (_fields: object, message: string) => console.error(`warning: ${message}`),
  error: (_fields: object, message: string) => console.error(`error: ${message}`),
}

/** Runs a CLI operation against the configured database and reports the statements it sent. */
export async function withDatabase<T>(fn: (db: Db, config: Config) => Promise<T>, options: DatabaseOptions = {}): Promise<T> {
  const config = cliConfig()
  const [{ openDatabase }, { newQueryStats, runWithQueryStats }] = await Promise.all([
    import('../app.ts'),
    import('../infra/db/query-stats.ts'),
  ])
  let db: Db
  try {
    db = await openDatabase(config)
  } catch (error) {
    if (error instanceof DataDirLockedError) throw new DataDirBusyError(busyMessage(error, options.whenLocked ?? {}))
    throw error
  }
  const stats = newQueryStats()
  let result: T
  try {
    if (options.migrate) {
      const { migrate } = await import('../infra/db/migrations.ts')
      await migrate(db.primary)
    }
    result = await runWithQueryStats(stats, () => fn(db, config))
  } finally {
    await db.close()
  }
  const statements = stats.count === 1 ? '1 SQL statement' : `${stats.count} SQL statements`
  console.error(`(${statements}, ${stats.durationMs.toFixed(1)} ms in the database)`)
  return result
}
