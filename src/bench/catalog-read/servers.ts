import { type ChildProcess, spawn } from 'node:child_process'
import { buildApp } from '../../app.ts'
import type { Config } from '../../config/config.ts'
import type { Db } from '../../infra/db/database.ts'
import { briskCommand, cpuMsOfTree, freePort } from '../children.ts'
import type { BenchRedis } from '../redis.ts'
import { BENCH_FLOOR_ENV, type FloorBody, registerBenchFloor } from './floor.ts'
import type { CacheVariant } from './options.ts'

/** A server the load client measures; `cpuMs` is the CPU time its process(es) used so far. */
export interface BenchServer {
  port: number
  cpuMs(): number
  close(): Promise<void>
}

const processCpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/**
 * The configuration a variant's servers start with. Never the configured Redis as it is: memory +
 * Redis gets the bench's (redis.ts), its keys under a prefix of this run's.
 */
export function cacheConfig(config: Config, variant: CacheVariant, redis: BenchRedis | undefined): Config {
  // silent: at info every request writes an access line, which would be measured too
  const base = { ...config, logLevel: 'silent' as const }
  if (variant === 'off') return { ...base, cache: false, redisUrl: undefined }
  if (variant === 'memory') return { ...base, cache: true, redisUrl: undefined }
  if (redis === undefined) throw new Error('the memory + Redis variant needs a Redis')
  return { ...base, cache: true, redisUrl: redis.url, cachePrefix: redis.prefix }
}

/** An app in this process over the bench's database, with the floor route on it. */
export async function startInProcess(config: Config, db: Db, floor: FloorBody): Promise<BenchServer> {
  const app = await buildApp(config, { db, migrate: false })
  try {
    registerBenchFloor(app.http, floor)
    const url = new URL(await app.http.listen({ host: '127.0.0.1', port: 0 }))
    return { port: Number(url.port), cpuMs: processCpuMs, close: () => app.close() }
  } catch (error) {
    await app.close()
    throw error
  }
}

/** A response body as Brisk sends it, read through an app of its own (cache off) that is closed again. */
export async function readThroughApp(config: Config, db: Db, path: string, headers: Record<string, string>): Promise<Buffer> {
  const app = await buildApp(cacheConfig(config, 'off', undefined), { db, migrate: false })
  try {
    const response = await app.http.inject({ method: 'GET', url: path, headers })
    if (response.statusCode !== 200) throw new Error(`GET ${path}: ${response.statusCode} ${response.body.slice(0, 300)}`)
    return response.rawPayload
  } finally {
    await app.close()
  }
}

export interface ServeOptions {
  databaseUrl: string
  cache: boolean
  redis: BenchRedis | undefined
  workers: number
  /** the floor's bytes, registered by `brisk serve` when it honours BRISK_BENCH_FLOOR */
  floor?: Buffer | undefined
}

const READY_TIMEOUT_MS = 60_000

/** `brisk serve --workers N` in a process of its own, on the bench's database; resolves once it answers. */
export async function startServe(options: ServeOptions): Promise<BenchServer> {
  const port = await freePort()
  const { command, args } = briskCommand()
  const env = {
    ...process.env,
    BRISK_DATABASE_URL: options.databaseUrl,
    BRISK_CACHE: options.cache ? 'on' : 'off',
    // set even when empty: an unset variable would let a .env file in this folder name one
    BRISK_REDIS_URL: options.redis?.url ?? '',
    BRISK_LOG_LEVEL: 'warn',
    BRISK_SEED_DEMO: 'false',
    ...(options.redis ? { BRISK_CACHE_PREFIX: options.redis.prefix } : {}),
    ...(options.floor ? { [BENCH_FLOOR_ENV]: options.floor.toString('utf8') } : {}),
  }
  const serveArgs = ['serve', '--workers', String(options.workers), '--host', '127.0.0.1', '--port', String(port), '--no-seed']
  const child = spawn(command, [...args, ...serveArgs], { env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  try {
    await waitUntilServing(child, port, () => stderr)
  } catch (error) {
    await stopChild(child)
    throw error
  }
  return { port, cpuMs: () => cpuMsOfTree(child.pid!), close: () => stopChild(child) }
}

async function waitUntilServing(child: ChildProcess, port: number, stderr: () => string): Promise<void> {
  const end = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < end) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`brisk serve exited (${child.exitCode ?? child.signalCode}): ${stderr().trim()}`)
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/live`)
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`brisk serve did not answer on port ${port} within ${READY_TIMEOUT_MS / 1000} s: ${stderr().trim()}`)
}

/** SIGTERM drains the server; SIGKILL if it takes longer than its own shutdown timeout would. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  await exited
  clearTimeout(timer)
}
