/**
 * Two caches sharing one Redis (BRISK_TEST_REDIS_URL), as two processes of one shop would: the
 * Redis tier, the bus that evicts across them, stampedes across them, and a key count that stays
 * bounded however many writes there are. Every test has a prefix of its own.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { type Cache, type CacheOptions, createCache } from './cache.ts'
import {
  deleteRedisKeys,
  FakeLoader,
  pollUntil,
  read,
  redisKeys,
  skipWithoutRedis,
  sleep,
  testRedisUrl,
  uniquePrefix,
  useLoader,
} from './cache.test-support.ts'

if (skipWithoutRedis) console.log(`cache.redis.test.ts: ${skipWithoutRedis}`)

describe('cache: two processes sharing Redis', { skip: skipWithoutRedis }, () => {
  const open: Cache[] = []
  const prefixes: string[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((cache) => cache.close()))
    for (const prefix of prefixes.splice(0)) await deleteRedisKeys(testRedisUrl!, prefix)
  })

  /** Two caches on one prefix, each with its loader over the same rows (one database). */
  async function twoProcesses(options: Partial<CacheOptions> = {}) {
    const prefix = uniquePrefix()
    prefixes.push(prefix)
    const rows = new Map<string, unknown>()
    const start = async () => {
      const cache = await createCache({
        enabled: true,
        memoryBytes: 16 * 1024 * 1024,
        redisUrl: testRedisUrl,
        redisTimeoutMs: 1000,
        prefix,
        ...options,
      })
      open.push(cache)
      return { cache, loader: useLoader(cache, 'category', new FakeLoader(rows)) }
    }
    // a started cache is subscribed to the bus: a message sent from now on reaches it
    const [a, b] = [await start(), await start()]
    return { prefix, rows, a, b, db: a.loader }
  }

  test('a value one process loaded is read from Redis by the other, without a load', async () => {
    const { a, b, db } = await twoProcesses()
    db.put(1)
    await read(a.cache, 1)
    await a.cache.flush()
    assert.equal((await read(b.cache, 1))?.version, 1)
    assert.equal(b.loader.calls, 0)
    assert.equal(b.cache.counters.category.redisHits, 1)
    assert.equal(b.cache.counters.category.redisMisses, 0)
  })

  test('clearMemory() forgets this process’s memory only: Redis is read as before', async () => {
    const { a, b, db } = await twoProcesses()
    db.put(1)
    await read(a.cache, 1)
    await a.cache.flush()
    await read(b.cache, 1)
    b.cache.clearMemory()
    assert.equal(b.cache.memory.entries, 0)
    assert.equal((await read(b.cache, 1))?.version, 1)
    assert.equal(b.loader.calls, 0)
  })

  test('stampede: 500 concurrent cold reads in each of two processes cost at most 2 loads', async () => {
    const { a, b, db } = await twoProcesses()
    db.put(1)
    a.loader.delayMs = 30
    b.loader.delayMs = 30
    const reads = [a, b].flatMap(({ cache }) => Array.from({ length: 500 }, () => read(cache, 1)))
    const docs = await Promise.all(reads)
    assert.ok(docs.every((doc) => doc?.id === 1))
    assert.ok(a.loader.calls + b.loader.calls <= 2, `${a.loader.calls} + ${b.loader.calls} loads`)
  })

  test('an eviction in A reaches B: B’s next read loads the new value', async () => {
    const { a, b, db } = await twoProcesses()
    db.put(1)
    assert.equal((await read(a.cache, 1))?.version, 1)
    assert.equal((await read(b.cache, 1))?.version, 1)
    db.put(1, 2)
    await a.cache.evict('category', [1])
    await pollUntil('B serves version 2', async () => (await read(b.cache, 1))?.version === 2)
    assert.equal((await read(a.cache, 1))?.version, 2)
  })

  test('onBusLatency: B hears how long A’s eviction took to reach it', async () => {
    const { a, b } = await twoProcesses()
    const heard: number[] = []
    b.cache.onBusLatency((seconds) => heard.push(seconds))
    await a.cache.evict('category', [1])
    await pollUntil('B heard the eviction', () => heard.length > 0)
    assert.ok(heard[0]! >= 0 && heard[0]! < 5, `${heard[0]} s`)
  })

  test('clear(kind) in A clears that kind from Redis and from B’s memory, and nothing else', async () => {
    const { prefix, a, b, db } = await twoProcesses()
    const products = useLoader(b.cache, 'product', new FakeLoader())
    useLoader(a.cache, 'product', new FakeLoader(products.rows))
    db.put(1)
    products.put(1)
    await read(b.cache, 1)
    await read(b.cache, 1, 'product')
    await b.cache.flush()
    await a.cache.clear('category')
    await pollUntil('B forgot category 1', () => b.cache.memory.peek('category:1', Date.now()) === undefined)
    assert.ok(b.cache.memory.peek('product:1', Date.now()), 'B keeps its products')
    assert.deepEqual(await redisKeys(testRedisUrl!, prefix), [`${prefix}:product:1`])
  })

  test('clear() in A clears everything from Redis and from B’s memory', async () => {
    const { prefix, a, b, db } = await twoProcesses()
    db.put(1)
    await read(b.cache, 1)
    await b.cache.flush()
    await a.cache.clear()
    await pollUntil('B forgot category 1', () => b.cache.memory.entries === 0)
    assert.deepEqual(await redisKeys(testRedisUrl!, prefix), [])
  })

  test('a missing id read from Redis is remembered no longer than missingTtlMs', async () => {
    const { a, b, db } = await twoProcesses({ kinds: { category: { missingTtlMs: 600 } } })
    assert.equal(await read(a.cache, 5), undefined)
    await a.cache.flush()
    assert.equal(await read(b.cache, 5), undefined)
    assert.equal(b.loader.calls, 0, 'B learnt from Redis that it is missing')
    db.put(5)
    await sleep(650)
    assert.equal((await read(b.cache, 5))?.id, 5)
  })

  test('a kind without grace read from Redis is not served past its TTL (a token revoked by hand)', async () => {
    const { a, b } = await twoProcesses({ kinds: { token: { ttlMs: 600, refreshAt: 0.9, staleMs: 0 } } })
    const tokens = useLoader(a.cache, 'token', new FakeLoader())
    useLoader(b.cache, 'token', new FakeLoader(tokens.rows))
    tokens.put(1)
    await read(a.cache, 1, 'token')
    await a.cache.flush()
    assert.equal((await read(b.cache, 1, 'token'))?.id, 1)
    tokens.rows.delete('1')
    await sleep(650)
    assert.equal(await read(b.cache, 1, 'token'), undefined)
  })

  test('an entry in Redis that is not the cache’s JSON is loaded again, never served', async () => {
    const { prefix, a, db } = await twoProcesses()
    db.put(1)
    db.put(2)
    const redis = new Redis(testRedisUrl!)
    try {
      await redis.set(`${prefix}:category:1`, 'not json')
      await redis.set(`${prefix}:category:2`, '{"id":2}')
    } finally {
      redis.disconnect()
    }
    const found = await a.cache.findCachedDocs('category', [1, 2])
    assert.deepEqual([...found.values()], [db.rows.get('1'), db.rows.get('2')])
    assert.equal(a.loader.ids, 2)
  })

  test('the key index stays bounded: 100k evictions and reloads over 1,000 ids leave at most 2 × 1,000 keys', async () => {
    const { prefix, a, b, db } = await twoProcesses()
    // B is not needed here: closed, it spares this test handling A's 100 bus messages of 1,000 keys
    await b.cache.close()
    const ids = Array.from({ length: 1000 }, (_, i) => i + 1)
    for (const id of ids) db.put(id)
    for (let round = 0; round < 100; round++) {
      await a.cache.evict('category', ids)
      assert.equal((await a.cache.findCachedDocs('category', ids)).size, 1000)
    }
    await a.cache.flush()
    assert.equal(a.cache.counters.category.evictions, 100_000)
    const keys = await redisKeys(testRedisUrl!, prefix)
    assert.ok(keys.length <= 2 * 1000, `${keys.length} keys in Redis for 1,000 live entries`)
    assert.ok(keys.every((key) => key.startsWith(`${prefix}:category:`)))
  })
})
