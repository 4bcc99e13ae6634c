import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { Config } from '../config/config.ts'
import { connectPglite, connectPostgres, describeUrl } from '../infra/db/connect.ts'
import type { Db } from '../infra/db/database.ts'
import { AppError } from '../infra/errors.ts'
import type { Progress } from './progress.ts'
import type { BenchOption } from './scenario.ts'

export const DATABASE_OPTION: BenchOption = {
  flags: '--database <url|folder>',
  description:
    'run in this database — a PostgreSQL URL or an embedded database folder — and WRITE the benchmark data there ' +
    '(a location, products, stock, sales); without it the bench runs in a scratch database it creates and drops: ' +
    'brisk_bench_* beside BRISK_DATABASE_URL, or a temporary embedded one',
}

/** The database a bench runs in; `dispose` closes it and, when it is a scratch one, removes it. */
export interface BenchDatabase {
  db: Db
  /** the PostgreSQL URL, for a bench that starts `brisk serve` processes on the same database; none for PGlite */
  url: string | undefined
  /** what a bench killed before `dispose` leaves behind, if anything */
  leftover: string | undefined
  dispose(): Promise<void>
}

export interface BenchDatabaseOptions {
  /** --database: the user's own choice, written into */
  database: string | undefined
  /** connections a PostgreSQL pool needs at least (clients + the bench's own) */
  connections: number
}

const isPostgresUrl = (value: string) => /^postgres(ql)?:\/\//i.test(value)

/** Never the configured database: a scratch one beside it, unless --database names one. */
export async function openBenchDatabase(
  config: Config,
  options: BenchDatabaseOptions,
  progress: Progress,
): Promise<BenchDatabase> {
  const poolSize = Math.max(config.poolSize, options.connections)
  const postgres = (url: string) => connectPostgres({ url, poolSize, statementTimeoutMs: config.statementTimeoutMs })
  if (options.database !== undefined) {
    const url = isPostgresUrl(options.database) ? options.database : undefined
    const db = url !== undefined ? postgres(url) : await connectPglite(options.database)
    progress.phase(`opening ${db.description} (--database: the benchmark writes there)`)
    return { db, url, leftover: undefined, dispose: () => db.close() }
  }
  if (config.databaseUrl) return createScratchPostgres(config.databaseUrl, postgres, progress)
  return createScratchPglite(progress)
}

async function createScratchPostgres(
  serverUrl: string,
  connect: (url: string) => Db,
  progress: Progress,
): Promise<BenchDatabase> {
  const name = `brisk_bench_${randomBytes(4).toString('hex')}`
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const where = `${name} on ${describeUrl(serverUrl).replace(/\/[^/]*$/, '')}`
  progress.phase(`creating the scratch database ${where}`)
  try {
    await onServer(serverUrl, (client) => client.query(`create database "${name}"`))
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error
    throw new AppError(
      'forbidden',
      'BENCH_SCRATCH_DATABASE_REFUSED',
      `The bench runs in a scratch database, and the server refused to create one (${(error as Error).message}). ` +
        'Grant the role CREATEDB, or pass --database <url> to run in a database of your choice (the bench writes there).',
    )
  }
  const db = connect(url.toString())
  return {
    db,
    url: url.toString(),
    leftover: `the scratch database ${where}`,
    dispose: async () => {
      progress.phase(`dropping the scratch database ${name}`)
      try {
        await db.close()
      } finally {
        await onServer(serverUrl, (client) => client.query(`drop database if exists "${name}" with (force)`))
      }
    },
  }
}

async function createScratchPglite(progress: Progress): Promise<BenchDatabase> {
  removeAbandonedScratchFolders(progress)
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), SCRATCH_FOLDER_PREFIX))
  progress.phase(`creating a scratch embedded database in ${folder}`)
  const remove = () => fs.rmSync(folder, { recursive: true, force: true })
  let db: Db
  try {
    db = await connectPglite(folder)
  } catch (error) {
    remove()
    throw error
  }
  return {
    db,
    url: undefined,
    leftover: `the scratch folder ${folder}`,
    dispose: async () => {
      progress.phase(`removing the scratch embedded database in ${folder}`)
      try {
        await db.close()
      } finally {
        remove()
      }
    },
  }
}

const SCRATCH_FOLDER_PREFIX = 'brisk-bench-'

/**
 * A run killed before it could clean up (kill -9, or Ctrl+C while PGlite held the thread and tsx
 * followed up with SIGKILL) leaves its folder behind, with a lock naming a process that is gone.
 */
function removeAbandonedScratchFolders(progress: Progress): void {
  const pattern = new RegExp(`^${SCRATCH_FOLDER_PREFIX}[A-Za-z0-9]{6}$`)
  for (const entry of fs.readdirSync(os.tmpdir(), { withFileTypes: true })) {
    if (!entry.isDirectory() || !pattern.test(entry.name)) continue
    const folder = path.join(os.tmpdir(), entry.name)
    try {
      const holder = Number(fs.readFileSync(path.join(folder, 'brisk.lock'), 'utf8'))
      if (!Number.isInteger(holder) || holder <= 0 || isRunning(holder)) continue
      fs.rmSync(folder, { recursive: true, force: true })
      progress.note(`removed ${folder}, left behind by a bench that was killed`)
    } catch {
      // no lock (not ours, or being created this instant) or not ours to remove: leave it
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Runs `fn` on a connection to the configured database: CREATE and DROP DATABASE, never a write into it. */
async function onServer(url: string, fn: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'brisk bench', connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    await fn(client)
  } finally {
    await client.end()
  }
}
