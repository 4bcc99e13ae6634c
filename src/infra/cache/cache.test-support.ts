/** What the cache tests share: a fake loader over a table in memory, a log that keeps its lines, polling. */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { Cache, type CacheLoader, type CacheOptions } from './cache.ts'
import type { CachedValue, CacheId, CacheKind } from './cache-keys.ts'
import type { CacheLog } from './redis-tier.ts'

export const testRedisUrl = process.env['BRISK_TEST_REDIS_URL'] || undefined

/** For `describe(…, { skip })`: why a test that needs BRISK_TEST_REDIS_URL does not run, or false. */
export const skipWithoutRedis = testRedisUrl ? false : 'BRISK_TEST_REDIS_URL is not set: the tests on a shared Redis are skipped'

export interface TestDoc {
  readonly id: number
  readonly name: string
  readonly version: number
}

export class TestNotFound extends Error {}

/**
 * The loader of a kind, reading `rows` (the "database"): it counts its calls and the ids they
 * asked for, and can be slowed (`delayMs`), held until released (`hold`) or failed (`failure`).
 */
export class FakeLoader implements CacheLoader<unknown> {
  calls = 0
  ids = 0
  running = 0
  delayMs = 0
  failure: Error | undefined
  #held: Promise<void> | undefined
  #release: (() => void) | undefined

  constructor(readonly rows: Map<string, unknown> = new Map()) {}

  /** Stores a doc in the "database" (not in the cache: the test evicts, as a writer would). */
  put(id: number, version = 1): TestDoc {
    const doc = { id, name: `doc ${id}`, version }
    this.rows.set(String(id), doc)
    return doc
  }

  /** Loads wait from now until `release()`. */
  hold(): void {
    this.#held ??= new Promise((resolve) => {
      this.#release = resolve
    })
  }

  release(): void {
    this.#release?.()
    this.#held = undefined
    this.#release = undefined
  }

  async load(ids: readonly CacheId[]): Promise<ReadonlyMap<CacheId, unknown>> {
    this.calls++
    this.ids += ids.length
    this.running++
    try {
      if (this.delayMs > 0) await sleep(this.delayMs)
      if (this.#held) await this.#held
      if (this.failure) throw this.failure
      const found = new Map<CacheId, unknown>()
      // a copy, as a database hands out a new object on every read
      for (const id of ids) if (this.rows.has(String(id))) found.set(id, structuredClone(this.rows.get(String(id))))
      return found
    } finally {
      this.running--
    }
  }

  notFound(id: CacheId): Error {
    return new TestNotFound(`nothing with id ${id}`)
  }
}

/** Registers `loader` for `kind`, whatever type the modules declared for that kind. */
export function useLoader<K extends CacheKind>(cache: Cache, kind: K, loader: FakeLoader = new FakeLoader()): FakeLoader {
  cache.register(kind, loader as unknown as CacheLoader<CachedValue<K>>)
  return loader
}

/** A memory-only cache for a test (nothing to close). */
export function memoryCache(options: Partial<CacheOptions> = {}): Cache {
  return new Cache({ enabled: true, memoryBytes: 8 * 1024 * 1024, redisTimeoutMs: 100, ...options })
}

export async function read(cache: Cache, id: CacheId, kind: CacheKind = 'category'): Promise<TestDoc | undefined> {
  return (await cache.findCachedDoc(kind, id)) as TestDoc | undefined
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error'
  msg: string
  obj: object
}

/** A CacheLog that keeps every line. */
export function captureLog(): { log: CacheLog; lines: LogLine[]; at(level: LogLine['level']): LogLine[] } {
  const lines: LogLine[] = []
  const keep = (level: LogLine['level']) => (obj: object, msg: string) => void lines.push({ level, msg, obj })
  return {
    log: { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') },
    lines,
    at: (level) => lines.filter((line) => line.level === level),
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
export async function pollUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await sleep(10)
  }
}

/** A Redis key prefix no other test (or test run) uses. */
export function uniquePrefix(): string {
  return `brisk-test-${process.pid}-${randomBytes(4).toString('hex')}`
}

/** The keys under `prefix` in the Redis at `url`. */
export async function redisKeys(url: string, prefix: string): Promise<string[]> {
  return withRedis(url, (redis) => scanPrefix(redis, prefix))
}

/** Deletes the keys under `prefix` (what a test left in a shared Redis). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  await withRedis(url, async (redis) => {
    const keys = await scanPrefix(redis, prefix)
    if (keys.length > 0) await redis.unlink(...keys)
  })
}

async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true })
  await redis.connect()
  try {
    return await use(redis)
  } finally {
    redis.disconnect()
  }
}

async function scanPrefix(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    keys.push(...found)
    cursor = next
  } while (cursor !== '0')
  return keys
}
