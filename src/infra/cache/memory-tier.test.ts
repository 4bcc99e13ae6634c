/** The memory tier: bounded by bytes, second chance for hot entries, lifetimes from the entry's own timings. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { useLoader, memoryCache, read } from './cache.test-support.ts'
import { kindSpecs } from './cache-keys.ts'
import { MemoryTier } from './memory-tier.ts'

const MINUTE = 60_000

function item(value: unknown, ttlMs = 10 * MINUTE) {
  const now = Date.now()
  return { value, createdAt: now, logicalExpiration: now + ttlMs }
}

const doc = (id: number) => ({ id, name: `product ${id} ${'x'.repeat(200)}`, price: '1.00' })

describe('memory tier: bounded by bytes', () => {
  test('filled far past its limit, it holds at most its bytes', () => {
    const tier = new MemoryTier(100_000)
    for (let id = 0; id < 5000; id++) {
      tier.set(`category:${id}`, item(doc(id)), 20 * MINUTE)
      assert.ok(tier.bytes <= tier.maxBytes, `${tier.bytes} bytes after ${id + 1} entries`)
    }
    assert.ok(tier.entries > 100, 'and still holds many')
    assert.ok(tier.evictions >= 5000 - tier.entries)
  })

  test('hot entries survive (second chance): entries read since the hand passed stay, cold ones go', () => {
    const tier = new MemoryTier(100_000)
    const hot = ['category:hot-1', 'category:hot-2', 'category:hot-3']
    for (const key of hot) tier.set(key, item(doc(0)), 20 * MINUTE)
    for (let id = 0; id < 5000; id++) {
      tier.set(`category:${id}`, item(doc(id)), 20 * MINUTE)
      for (const key of hot) assert.ok(tier.peek(key, Date.now()), `${key} is still there after ${id + 1} entries`)
    }
    assert.equal(tier.peek('category:0', Date.now()), undefined, 'a cold entry went')
  })

  test('sizes are counted back when entries are replaced, deleted, or cleared', () => {
    const tier = new MemoryTier(1_000_000)
    tier.set('category:1', item(doc(1)), MINUTE)
    const one = tier.bytes
    tier.set('category:1', item(doc(1)), MINUTE)
    assert.equal(tier.bytes, one)
    tier.set('category:2', item(doc(2)), MINUTE)
    tier.delete('category:1')
    assert.equal(tier.bytes, one)
    tier.deletePrefix('category:')
    assert.equal(tier.bytes, 0)
    tier.set('product:1', item(doc(1)), MINUTE)
    tier.clear()
    assert.equal(tier.bytes, 0)
    assert.equal(tier.entries, 0)
  })

  test('an entry larger than a quarter of the tier is not kept', () => {
    const tier = new MemoryTier(4000)
    assert.equal(tier.set('category:big', item({ text: 'x'.repeat(2000) }), MINUTE), false)
    assert.equal(tier.entries, 0)
  })

  test('through the cache: a small BRISK_CACHE_MEMORY_MB is respected, and the entry read all along stays', async () => {
    const cache = memoryCache({ memoryBytes: 64 * 1024 })
    const loader = useLoader(cache, 'category')
    for (let id = 1; id <= 2000; id++) loader.rows.set(String(id), doc(id))
    await read(cache, 1)
    for (let page = 0; page < 20; page++) {
      const ids = Array.from({ length: 100 }, (_, i) => page * 100 + i + 1)
      assert.equal((await cache.findCachedDocs('category', ids)).size, 100)
      assert.ok(cache.memory.bytes <= 64 * 1024, `${cache.memory.bytes} bytes after page ${page}`)
      await read(cache, 1)
    }
    const loads = loader.calls
    await read(cache, 1)
    assert.equal(loader.calls, loads, 'the hot entry was never evicted')
  })
})

describe('memory tier: lifetimes', () => {
  test('an entry lives until the end of its grace, however long bentocache asks to keep it', () => {
    const kinds = kindSpecs({ category: { ttlMs: 1000, staleMs: 500 } })
    const tier = new MemoryTier(1_000_000, kinds)
    const now = Date.now()
    // an entry read from Redis: bentocache passes the grace it was asked for as the lifetime
    tier.set('category:1', { value: doc(1), createdAt: now - 900, logicalExpiration: now + 100 }, 24 * 60 * MINUTE)
    assert.ok(tier.peek('category:1', now + 550))
    assert.equal(tier.peek('category:1', now + 650), undefined)
  })

  test('a missing id (null) is remembered until its logical expiration, with no grace', () => {
    const tier = new MemoryTier(1_000_000, kindSpecs({ category: { missingTtlMs: 1000, staleMs: 60 * MINUTE } }))
    const now = Date.now()
    tier.set('category:404', { value: null, createdAt: now, logicalExpiration: now + 1000 }, 24 * 60 * MINUTE)
    assert.equal(tier.peek('category:404', now + 900)?.value, null)
    assert.equal(tier.peek('category:404', now + 1100), undefined)
  })

  test('a kind without grace is gone at its TTL', () => {
    const tier = new MemoryTier(1_000_000, kindSpecs({ token: { ttlMs: 2000, staleMs: 0 } }))
    const now = Date.now()
    tier.set('token:abc', { value: doc(1), createdAt: now, logicalExpiration: now + 2000 }, 30 * MINUTE)
    assert.ok(tier.peek('token:abc', now + 1900))
    assert.equal(tier.peek('token:abc', now + 2100), undefined)
  })

  test('hot entries are refreshed at refreshAt × ttl', () => {
    const tier = new MemoryTier(1_000_000, kindSpecs({ category: { ttlMs: 1000, refreshAt: 0.8 } }))
    const now = Date.now()
    tier.set('category:1', { value: doc(1), createdAt: now, logicalExpiration: now + 1000 }, 2000)
    assert.equal(tier.peek('category:1', now)?.refreshAt, now + 800)
  })
})
