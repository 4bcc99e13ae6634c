/**
 * The Redis a bench's "memory + Redis" servers use. Never a shop's cache as it is: either a
 * redis-server of the bench's own (a temporary folder, a free loopback port, nothing saved, stopped
 * and removed afterwards), or the Redis --redis / BRISK_REDIS_URL names, with every key under a
 * prefix of this run's, removed key by key afterwards (never a FLUSH: others may use that Redis).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { freePort } from './children.ts'
import type { Progress } from './progress.ts'
import type { BenchOption } from './scenario.ts'

/** --redis: where a scenario's memory + Redis variant keeps its keys. */
export const REDIS_OPTION: BenchOption = {
  flags: '--redis <url>',
  description:
    "Redis for the memory + Redis variant (else BRISK_REDIS_URL); its keys go under a prefix of the run's and are removed " +
    'afterwards. Without either, a redis-server of its own on a free loopback port',
}

export interface BenchRedis {
  url: string
  /** the cache's key prefix (and bus channel) for this run */
  prefix: string
  /** a redis-server the bench started, or one the user named */
  own: boolean
  description: string
  close(): Promise<void>
}

const READY_TIMEOUT_MS = 10_000

/** `named` (--redis, else BRISK_REDIS_URL) or a redis-server of our own; undefined (with why) when neither is at hand. */
export async function openBenchRedis(named: string | undefined, progress: Progress): Promise<BenchRedis | { missing: string }> {
  const prefix = `brisk_bench_${randomBytes(4).toString('hex')}`
  if (named !== undefined) {
    const where = new URL(named)
    return {
      url: named,
      prefix,
      own: false,
      description: `Redis at ${where.host}${where.pathname}, keys under ${prefix}:`,
      close: async () => {
        progress.phase(`removing the keys under ${prefix}: from Redis`)
        await removeKeys(named, prefix)
      },
    }
  }
  const binary = findRedisServer()
  if (binary === undefined) return { missing: 'no redis-server on the PATH; pass --redis <url> or set BRISK_REDIS_URL' }
  progress.phase('starting a redis-server of its own')
  return startOwnRedis(binary, prefix)
}

function findRedisServer(): string | undefined {
  for (const folder of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const file = path.join(folder, 'redis-server')
    if (folder !== '' && fs.existsSync(file)) return file
  }
  return undefined
}

async function startOwnRedis(binary: string, prefix: string): Promise<BenchRedis> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'brisk-bench-redis-'))
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', folder, '--save', '', '--appendonly', 'no']
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  const close = async () => {
    await stopProcess(child)
    fs.rmSync(folder, { recursive: true, force: true })
  }
  const url = `redis://127.0.0.1:${port}`
  try {
    await waitForPing(url, child)
  } catch (error) {
    await close()
    throw error
  }
  return { url, prefix, own: true, description: `a redis-server of its own on 127.0.0.1:${port}`, close }
}

async function waitForPing(url: string, child: ChildProcess): Promise<void> {
  const end = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < end) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode})`)
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    redis.on('error', () => {})
    try {
      await redis.connect()
      await redis.ping()
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50))
    } finally {
      redis.disconnect()
    }
  }
  throw new Error(`redis-server did not answer on ${url} within ${READY_TIMEOUT_MS / 1000} s`)
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** Runs `fn` on every batch of keys under `prefix:` (SCAN); answers the sum of what it returns. */
async function eachBatch(url: string, prefix: string, fn: (redis: Redis, keys: string[]) => Promise<number>): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  await redis.connect()
  let sum = 0
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      if (keys.length > 0) sum += await fn(redis, keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
  return sum
}

/** Deletes every key under `prefix:`; answers how many there were. */
export function removeKeys(url: string, prefix: string): Promise<number> {
  return eachBatch(url, prefix, (redis, keys) => redis.unlink(...keys))
}

/** Keys under `prefix:`: whether servers wrote where they were told. */
export function countKeys(url: string, prefix: string): Promise<number> {
  return eachBatch(url, prefix, async (_redis, keys) => keys.length)
}
