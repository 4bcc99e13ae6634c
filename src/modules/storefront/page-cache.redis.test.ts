/**
 * Two processes of one shop sharing Redis (BRISK_TEST_REDIS_URL): a shell one renders is served by
 * the other, and a tag evicted in one makes the other's shells stale — through evictTags, or
 * through a product eviction of a process that has no page cache at all (a CLI import).
 */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { type Cache, createCache } from '../../infra/cache/cache.ts'
import { deleteRedisKeys, pollUntil, redisKeys, skipWithoutRedis, testRedisUrl, uniquePrefix } from '../../infra/cache/cache.test-support.ts'
import { createPageCache, type ShellSpec } from './page-cache.ts'
import { LISTING_TAGS, productTag } from './page-cache-tags.ts'

if (skipWithoutRedis) console.log(`page-cache.redis.test.ts: ${skipWithoutRedis}`)

describe('page cache: two processes sharing Redis', { skip: skipWithoutRedis }, () => {
  const open: Cache[] = []
  const prefixes: string[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((cache) => cache.close()))
    for (const prefix of prefixes.splice(0)) await deleteRedisKeys(testRedisUrl!, prefix)
  })

  async function twoProcesses() {
    const prefix = uniquePrefix()
    prefixes.push(prefix)
    const start = async () => {
      const cache = await createCache({ enabled: true, memoryBytes: 16 * 1024 * 1024, redisUrl: testRedisUrl, redisTimeoutMs: 1000, prefix })
      open.push(cache)
      return { cache, pages: createPageCache(cache) }
    }
    return { prefix, a: await start(), b: await start() }
  }

  const renders = new Map<string, number>()
  const page = (key: string, tags: string[]): ShellSpec => ({
    key,
    tags,
    async render() {
      renders.set(key, (renders.get(key) ?? 0) + 1)
      return `<main>${key} #${renders.get(key)}</main>`
    },
  })

  test('a shell A rendered is served by B from Redis, without a render', async () => {
    const { a, b } = await twoProcesses()
    const product = page(`p-${a.cache.prefix}`, [productTag(1)])
    const rendered = await a.pages.shell(product)
    await a.cache.flush()
    const served = await b.pages.shell(product)
    assert.deepEqual(served, { html: rendered.html, hit: true })
    assert.equal(renders.get(product.key), 1)
    assert.equal(b.cache.counters.pageShell.redisHits, 1)
  })

  test('a tag A evicts makes the shells carrying it stale in B, and no other', async () => {
    const { a, b } = await twoProcesses()
    const one = page(`one-${a.cache.prefix}`, [productTag(1)])
    const two = page(`two-${a.cache.prefix}`, [productTag(2)])
    for (const spec of [one, two]) {
      await a.pages.shell(spec)
      await a.cache.flush()
      assert.equal((await b.pages.shell(spec)).hit, true)
    }
    await a.pages.evictTags([productTag(1)])
    await pollUntil('B heard the eviction', () => b.cache.memory.peek('pageTag:product:1', Date.now()) === undefined)
    const again = await b.pages.shell(one)
    assert.equal(again.hit, false)
    assert.match(again.html, /#2/)
    assert.equal((await b.pages.shell(two)).hit, true)
    // B stored its new shell over the old one in Redis, with the new version: A, reading Redis, takes it as current
    await b.cache.flush()
    a.cache.clearMemory()
    assert.deepEqual(await a.pages.shell(one), { html: again.html, hit: true })
  })

  test("a product eviction by a process with no page cache (an import) evicts the product's pages and the listings everywhere", async () => {
    const { a, b } = await twoProcesses()
    const product = page(`product-${a.cache.prefix}`, [productTag(42)])
    const listing = page(`home-${a.cache.prefix}`, [LISTING_TAGS.products])
    for (const spec of [product, listing]) await b.pages.shell(spec)
    const importer = a.cache // no page cache is built over it: the cache derives the page tags itself
    await importer.evictMany([{ kind: 'product', ids: [42] }])
    await pollUntil('B heard the eviction', () => b.cache.memory.peek('pageTag:product:42', Date.now()) === undefined)
    assert.equal((await b.pages.shell(product)).hit, false)
    assert.equal((await b.pages.shell(listing)).hit, false)
  })

  test('every page key in Redis expires: shells and tag versions alike, no set grows', async () => {
    const { prefix, a } = await twoProcesses()
    for (let i = 0; i < 50; i++) await a.pages.shell(page(`p${i}-${prefix}`, [productTag(i), LISTING_TAGS.products]))
    await a.cache.flush()
    const keys = await redisKeys(testRedisUrl!, prefix)
    assert.equal(keys.length, 50 + 51)
    const redis = new Redis(testRedisUrl!)
    try {
      const ttls = await Promise.all(keys.map((key) => redis.pttl(key)))
      assert.ok(ttls.every((ttl) => ttl > 0))
      assert.ok(keys.every((key) => key.startsWith(`${prefix}:pageShell:`) || key.startsWith(`${prefix}:pageTag:`)))
    } finally {
      redis.disconnect()
    }
  })
})
