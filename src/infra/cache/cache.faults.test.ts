/**
 * Redis failing under the cache, on a redis-server of the test's own (test/redis-server.ts):
 * killed, paused (SIGSTOP: connections stay open and nothing answers), restarted, down at start.
 * Reads never fail for it and never wait much longer than the Redis timeout; one warning per
 * outage; Redis is used again by itself when it is back, and what changed meanwhile is not
 * served stale.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { after, afterEach, before, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { findRedisServer, type RedisServer, startRedisServer } from '../../../test/redis-server.ts'
import { type Cache, createCache } from './cache.ts'
import { captureLog, FakeLoader, pollUntil, read, sleep, uniquePrefix, useLoader } from './cache.test-support.ts'

const found = findRedisServer()
const skip = 'missing' in found ? `the Redis fault tests are skipped: ${found.missing}` : false
if (skip) console.log(`cache.faults.test.ts: ${skip}`)

const TIMEOUT_MS = 300
const LOAD_MS = 30
/** A read during an outage waits at most for one Redis timeout and one load; this much is left for the machine. */
const SLACK_MS = 500

describe('cache: Redis faults', { skip }, () => {
  let server: RedisServer
  const open: Cache[] = []
  before(async () => {
    if ('binary' in found) server = await startRedisServer(found.binary)
  })
  after(async () => {
    await server?.remove()
  })
  afterEach(async () => {
    await Promise.all(open.splice(0).map((cache) => cache.close()))
    server.resume()
    if (!(await isUp(server))) await server.start()
  })

  async function isUp(s: RedisServer): Promise<boolean> {
    const probe = new Redis(s.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 500 })
    probe.on('error', () => {})
    try {
      await probe.connect()
      return (await probe.ping()) === 'PONG'
    } catch {
      return false
    } finally {
      probe.disconnect()
    }
  }

  /** Two caches (processes) on the test's server, each logging into its own capture. */
  async function twoProcesses() {
    const prefix = uniquePrefix()
    const rows = new Map<string, unknown>()
    const start = async () => {
      const logged = captureLog()
      const cache = await createCache({
        enabled: true,
        memoryBytes: 16 * 1024 * 1024,
        redisUrl: server.url,
        redisTimeoutMs: TIMEOUT_MS,
        prefix,
        log: logged.log,
      })
      open.push(cache)
      const loader = useLoader(cache, 'category', new FakeLoader(rows))
      loader.delayMs = LOAD_MS
      return { cache, loader, logged }
    }
    const [a, b] = [await start(), await start()]
    return { prefix, a, b, db: a.loader }
  }

  async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
    const startedAt = performance.now()
    const result = await fn()
    return { ms: performance.now() - startedAt, result }
  }

  const outageWarnings = (logged: ReturnType<typeof captureLog>) => logged.at('warn').filter((l) => /Redis is unreachable/.test(l.msg))

  test('Redis killed in the middle of loads: no read fails', async () => {
    const { a, b, db } = await twoProcesses()
    for (let id = 1; id <= 300; id++) db.put(id)
    const reads: Promise<unknown>[] = []
    for (let id = 1; id <= 100; id++) reads.push(read(a.cache, id), read(b.cache, id))
    await pollUntil('loads are running', () => a.loader.running + b.loader.running > 0)
    await server.kill()
    for (let id = 50; id <= 300; id++) reads.push(read(a.cache, id), read(b.cache, id))
    reads.push(a.cache.evict('category', [1, 2]), b.cache.findCachedDocs('category', [1, 2, 3]))
    const results = await Promise.allSettled(reads)
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected'),
      [],
    )
    assert.equal(a.cache.redis.down, true)
    assert.equal(outageWarnings(a.logged).length, 1)
  })

  test('Redis paused: every read completes within the Redis timeout plus the load; one warning; back by itself', async () => {
    const { prefix, a, db } = await twoProcesses()
    for (let id = 1; id <= 200; id++) db.put(id)
    await read(a.cache, 1)
    server.pause()
    const concurrent = await Promise.all(Array.from({ length: 50 }, (_, i) => timed(() => read(a.cache, i + 1))))
    const sequential = []
    for (let id = 100; id < 110; id++) sequential.push(await timed(() => read(a.cache, id)))
    const evicting = await timed(() => a.cache.evict('category', [1]))
    const clearing = await timed(() => a.cache.clear('product'))
    for (const { ms, result } of [...concurrent, ...sequential]) {
      assert.ok(result !== undefined, 'every read is served')
      assert.ok(ms < TIMEOUT_MS + LOAD_MS + SLACK_MS, `a read took ${ms.toFixed(0)} ms`)
    }
    assert.ok(evicting.ms < TIMEOUT_MS + SLACK_MS, `evict took ${evicting.ms.toFixed(0)} ms`)
    assert.ok(clearing.ms < TIMEOUT_MS + SLACK_MS, `clear took ${clearing.ms.toFixed(0)} ms`)
    assert.equal(a.cache.redis.down, true)
    assert.equal(a.cache.redis.outages, 1)
    assert.equal(outageWarnings(a.logged).length, 1)
    assert.equal(a.logged.at('warn').length, 1, 'nothing else warns')

    server.resume()
    await pollUntil('A uses Redis again', () => !a.cache.redis.down)
    assert.equal(a.logged.at('info').filter((l) => /Redis is back/.test(l.msg)).length, 1)
    await read(a.cache, 150)
    await a.cache.flush()
    const redis = new Redis(server.url)
    try {
      assert.ok(await redis.exists(`${prefix}:category:150`), 'a load after the outage is stored in Redis again')
    } finally {
      redis.disconnect()
    }
    assert.equal(a.cache.redis.outages, 1)
  })

  test('an entry evicted in A while Redis hung is not served stale by B once it is back', async () => {
    const { prefix, a, b, db } = await twoProcesses()
    db.put(1)
    await read(a.cache, 1)
    await a.cache.flush()
    assert.equal((await read(b.cache, 1))?.version, 1)
    server.pause()
    await Promise.all([read(a.cache, 98), read(b.cache, 99)])
    assert.ok(a.cache.redis.down && b.cache.redis.down, 'both found the outage: the eviction reaches neither Redis nor B now')
    db.put(1, 2)
    await a.cache.evict('category', [1])
    server.resume()
    await pollUntil('both use Redis again', () => !a.cache.redis.down && !b.cache.redis.down)
    assert.equal((await read(b.cache, 1))?.version, 2)
    assert.equal((await read(a.cache, 1))?.version, 2)
    await sleep(700)
    assert.equal((await read(b.cache, 1))?.version, 2)
    const redis = new Redis(server.url)
    try {
      const stored = await redis.get(`${prefix}:category:1`)
      assert.ok(stored === null || JSON.parse(stored).value.version === 2, `Redis holds ${stored}`)
    } finally {
      redis.disconnect()
    }
  })

  test('an eviction lost with its process during the outage: B does not trust what Redis held from before it', async () => {
    const { a, b, db } = await twoProcesses()
    db.put(1)
    await read(a.cache, 1)
    await a.cache.flush()
    assert.equal((await read(b.cache, 1))?.version, 1)
    assert.equal(b.loader.calls, 0, 'B read it from Redis')
    server.pause()
    await read(a.cache, 98)
    assert.equal(a.cache.redis.down, true, 'A found the outage: its eviction goes nowhere but its own memory')
    db.put(1, 2)
    await a.cache.evict('category', [1])
    // A ends before Redis is back: nobody will replay its eviction
    await a.cache.close()
    await read(b.cache, 99)
    assert.equal(b.cache.redis.down, true, 'B found the outage')
    server.resume()
    await pollUntil('B uses Redis again', () => !b.cache.redis.down)
    assert.equal((await read(b.cache, 1))?.version, 2)
  })

  test('B, which never noticed the outage, stops serving the entry A evicted once Redis is back', async () => {
    const { a, b, db } = await twoProcesses()
    db.put(1)
    await read(b.cache, 1)
    await b.cache.flush()
    server.pause()
    db.put(1, 2)
    await a.cache.evict('category', [1])
    server.resume()
    await pollUntil('B serves version 2', async () => (await read(b.cache, 1))?.version === 2)
    assert.equal(b.cache.redis.outages, 0)
  })

  test('a clear made while Redis hung is sent once it is back: its keys go, and B forgets the kind', async () => {
    const { prefix, a, b, db } = await twoProcesses()
    db.put(1)
    await read(a.cache, 1)
    await a.cache.flush()
    await read(b.cache, 1)
    server.pause()
    await read(a.cache, 98)
    assert.equal(a.cache.redis.down, true)
    await a.cache.clear('category')
    server.resume()
    await pollUntil('A uses Redis again', () => !a.cache.redis.down)
    await pollUntil('B forgot the kind', () => b.cache.memory.peek('category:1', Date.now()) === undefined)
    const redis = new Redis(server.url)
    try {
      await pollUntil('Redis holds no category', async () => (await redis.keys(`${prefix}:category:*`)).length === 0)
    } finally {
      redis.disconnect()
    }
  })

  test('Redis restarted on the same port: used again by itself, bus included, and nothing stale', async () => {
    const { prefix, a, b, db } = await twoProcesses()
    db.put(1)
    await read(a.cache, 1)
    await read(b.cache, 1)
    await server.kill()
    db.put(1, 2)
    await a.cache.evict('category', [1])
    await server.start()
    await pollUntil('both use Redis again', () => !a.cache.redis.down && !b.cache.redis.down)
    await pollUntil('B serves version 2', async () => (await read(b.cache, 1))?.version === 2)
    db.put(1, 3)
    await a.cache.evict('category', [1])
    await pollUntil('the bus works again', async () => (await read(b.cache, 1))?.version === 3)
    // an entry never evicted (category 1's key is deleted again 500 ms after its eviction, by design)
    db.put(2)
    await read(a.cache, 2)
    await a.cache.flush()
    const redis = new Redis(server.url)
    try {
      assert.deepEqual(await redis.keys(`${prefix}:category:2`), [`${prefix}:category:2`], 'A stores in Redis again')
    } finally {
      redis.disconnect()
    }
  })

  test('started while Redis is down: serves at once, then uses Redis and its bus once it is up', async () => {
    await server.stop()
    const started = await timed(() => twoProcesses())
    assert.ok(started.ms < 2 * (TIMEOUT_MS + 1000), `start took ${started.ms.toFixed(0)} ms`)
    const { a, b, db } = started.result
    db.put(1)
    assert.equal((await read(a.cache, 1))?.version, 1)
    assert.equal((await read(b.cache, 1))?.version, 1)
    assert.equal(outageWarnings(a.logged).length, 1)
    await server.start()
    await pollUntil('both use Redis', () => !a.cache.redis.down && !b.cache.redis.down, 5000)
    await read(b.cache, 1)
    db.put(1, 2)
    await a.cache.evict('category', [1])
    await pollUntil('B hears A’s eviction', async () => (await read(b.cache, 1))?.version === 2)
  })

  test('a process that closed its caches exits by itself, whether Redis was up, hanging or down', async () => {
    const paused = await startRedisServer((found as { binary: string }).binary)
    try {
      paused.pause()
      const fixture = path.join(import.meta.dirname, 'fixtures', 'open-read-close.ts')
      const down = 'redis://127.0.0.1:1'
      const run = promisify(execFile)
      const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture, server.url, paused.url, down], { timeout: 15_000 })
      assert.equal(stdout.trim(), 'closed')
    } finally {
      await paused.remove()
    }
  })
})
