/** The cache on its memory tier alone: not found, the request tier, stampedes, serialization, refresh and grace. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { currentQueryStats, newQueryStats, runWithQueryStats } from '../db/query-stats.ts'
import { CacheSerializationError } from './cache.ts'
import type { CacheId } from './cache-keys.ts'
import { captureLog, FakeLoader, memoryCache, pollUntil, read, sleep, TestNotFound, useLoader } from './cache.test-support.ts'

describe('cache: not found is the same everywhere', () => {
  test('getCachedDoc and getCachedValue throw the loader’s error, findCachedDoc answers undefined, findCachedDocs leaves the id out', async () => {
    const cache = memoryCache()
    const loader = useLoader(cache, 'category')
    loader.put(1)
    await assert.rejects(cache.getCachedDoc('category', 404), TestNotFound)
    await assert.rejects(cache.getCachedValue('category', 404, 'name'), TestNotFound)
    assert.equal(await cache.findCachedDoc('category', 404), undefined)
    const found = await cache.findCachedDocs('category', [1, 404])
    assert.deepEqual([...found.keys()], [1])
    assert.equal(await cache.getCachedValue('category', 1, 'name'), 'doc 1')
  })

  test('a missing id is remembered for missingTtlMs, then read again', async () => {
    const cache = memoryCache({ kinds: { category: { missingTtlMs: 300 } } })
    const loader = useLoader(cache, 'category')
    assert.equal(await read(cache, 7), undefined)
    assert.equal(await read(cache, 7), undefined)
    await assert.rejects(cache.getCachedDoc('category', 7), TestNotFound)
    assert.equal(loader.calls, 1, 'the second and third reads know it is missing')
    loader.put(7)
    await sleep(350)
    assert.equal((await read(cache, 7))?.id, 7)
    assert.equal(loader.calls, 2)
  })

  test('ids may be numbers or strings: one entry', async () => {
    const cache = memoryCache()
    const loader = useLoader(cache, 'category')
    loader.put(3)
    assert.equal((await read(cache, 3))?.id, 3)
    assert.equal((await read(cache, '3'))?.id, 3)
    const found = await cache.findCachedDocs('category', ['3', 3])
    assert.deepEqual([...found.keys()], ['3', 3])
    assert.equal(loader.calls, 1)
  })
})

describe('cache: the request tier', () => {
  test('inside one request the same doc read twice is one lookup, even after the memory tier lost it', async () => {
    const cache = memoryCache()
    const loader = useLoader(cache, 'category')
    loader.put(1)
    const stats = newQueryStats()
    await runWithQueryStats(stats, async () => {
      const first = await read(cache, 1)
      cache.clearMemory()
      loader.put(1, 2)
      const second = await read(cache, 1)
      assert.equal(second, first, 'the request sees the version it read first')
    })
    assert.equal(loader.calls, 1)
    assert.equal(cache.counters.category.requestHits, 1)
    // a new request reads through the memory tier (empty now) again
    await runWithQueryStats(newQueryStats(), async () => assert.equal((await read(cache, 1))?.version, 2))
    assert.equal(loader.calls, 2)
  })

  test('an eviction in the request that wrote drops the entry from that request too', async () => {
    const cache = memoryCache()
    const loader = useLoader(cache, 'category')
    loader.put(1)
    await runWithQueryStats(newQueryStats(), async () => {
      assert.equal((await read(cache, 1))?.version, 1)
      loader.put(1, 2)
      await cache.evict('category', [1])
      assert.equal((await read(cache, 1))?.version, 2)
    })
  })
})

describe('cache: stampede protection', () => {
  test('100 concurrent reads of one cold key: one load', async () => {
    const cache = memoryCache()
    const loader = useLoader(cache, 'category')
    loader.put(1)
    loader.delayMs = 20
    const docs = await Promise.all(Array.from({ length: 100 }, () => read(cache, 1)))
    assert.equal(loader.calls, 1)
    assert.ok(docs.every((doc) => doc?.id === 1 && doc === docs[0]))
  })

  test('a page of missing ids is one load, and reads of some of them join it', async () => {
    const cache = memoryCache()
    const loader = useLoader(cache, 'category')
    for (let id = 1; id <= 50; id++) loader.put(id)
    loader.hold()
    const page = cache.findCachedDocs('category', Array.from({ length: 50 }, (_, i) => i + 1))
    const single = read(cache, 17)
    const overlapping = cache.findCachedDocs('category', [49, 50, 51])
    loader.release()
    assert.equal((await page).size, 50)
    assert.equal((await single)?.id, 17)
    assert.deepEqual([...(await overlapping).keys()], [49, 50])
    assert.equal(loader.calls, 2, 'the page, then 51 alone')
    assert.equal(loader.ids, 51)
  })

  test('a failed load fails its readers and is not remembered: the next read loads again', async () => {
    const cache = memoryCache()
    const loader = useLoader(cache, 'category')
    loader.put(1)
    loader.failure = new Error('database down')
    const reads = await Promise.allSettled([read(cache, 1), read(cache, 1)])
    assert.deepEqual(
      reads.map((r) => r.status),
      ['rejected', 'rejected'],
    )
    assert.equal(loader.calls, 1)
    assert.equal(cache.counters.category.loadErrors, 1)
    loader.failure = undefined
    assert.equal((await read(cache, 1))?.id, 1)
  })

  test('a loader that throws at once (not a rejected promise) does not poison the key', async () => {
    const cache = memoryCache()
    let fail = true
    cache.register('category', {
      load(ids: readonly CacheId[]) {
        if (fail) throw new Error('thrown synchronously')
        return Promise.resolve(new Map(ids.map((id) => [id, { id: Number(id), name: 'x', version: 1 }])))
      },
      notFound: (id: CacheId) => new TestNotFound(String(id)),
    } as never)
    await assert.rejects(read(cache, 1), /thrown synchronously/)
    fail = false
    assert.equal((await read(cache, 1))?.id, 1)
  })

  test('a read of a kind without a loader fails clearly, and a later registration serves it', async () => {
    const cache = memoryCache()
    await assert.rejects(read(cache, 1), /no loader is registered for the cache kind category/)
    useLoader(cache, 'category').put(1)
    assert.equal((await read(cache, 1))?.id, 1)
  })
})

describe('cache: evictions race loads', () => {
  test('a load that an eviction overtook is served to its readers but not cached', async () => {
    const cache = memoryCache()
    const loader = useLoader(cache, 'category')
    loader.put(1)
    loader.hold()
    const reading = read(cache, 1)
    await pollUntil('the load runs', () => loader.running === 1)
    loader.put(1, 2)
    await cache.evict('category', [1])
    loader.release()
    assert.equal((await reading)?.version, 2)
    assert.equal(cache.memory.peek('category:1', Date.now()), undefined)
  })

  test('a reload right after an eviction is cached, however soon after it comes (the same millisecond)', async () => {
    const cache = memoryCache()
    const loader = useLoader(cache, 'category')
    loader.put(1)
    await read(cache, 1)
    for (let i = 0; i < 50; i++) {
      await cache.evict('category', [1])
      await read(cache, 1)
      await read(cache, 1)
    }
    assert.equal(loader.calls, 51)
  })

  test('what a loader primes right after an eviction is kept (a lookup by SKU keeps its products)', async () => {
    const cache = memoryCache()
    const categories = useLoader(cache, 'category')
    categories.put(1)
    cache.register('productSku', {
      async load(skus: readonly CacheId[]) {
        const startedAt = Date.now()
        cache.prime('category', [[1, { id: 1, name: 'doc 1', version: 1 } as never]], startedAt)
        return new Map(skus.map((sku) => [sku, 1]))
      },
      notFound: (sku: CacheId) => new TestNotFound(String(sku)),
    })
    for (let i = 0; i < 50; i++) {
      await cache.evictMany([
        { kind: 'category', ids: [1] },
        { kind: 'productSku', ids: ['A'] },
      ])
      await cache.findCachedDoc('productSku', 'A')
      await read(cache, 1)
    }
    assert.equal(categories.calls, 0)
  })

  test('prime does not store what an eviction overtook while the priming load ran', async () => {
    const cache = memoryCache()
    const loader = useLoader(cache, 'category')
    loader.put(1)
    // a lookup that reads whole docs and keeps them (as the catalog's lookup by SKU keeps its products)
    const startedAt = Date.now()
    const old = { id: 1, name: 'doc 1', version: 1 }
    loader.put(1, 2)
    await cache.evict('category', [1])
    cache.prime('category', [[1, old as never]], startedAt)
    assert.equal((await read(cache, 1))?.version, 2)
  })
})

describe('cache: serialization never fails silently', () => {
  const unserializable: [string, unknown, RegExp][] = [
    ['a Date', { id: 1, at: new Date(0) }, /\.at is a Date/],
    ['a BigInt', { id: 1, big: 10n }, /\.big is a bigint/],
    ['a Map', { id: 1, units: new Map([[1, 2]]) }, /\.units is a Map/],
    ['an undefined field', { id: 1, barcode: undefined }, /\.barcode is undefined/],
    ['NaN', { id: 1, price: Number.NaN }, /\.price is NaN/],
  ]
  for (const [what, value, problem] of unserializable) {
    test(`strict (as in tests): ${what} makes the read throw CacheSerializationError`, async () => {
      const cache = memoryCache()
      const loader = useLoader(cache, 'category')
      loader.rows.set('1', value)
      await assert.rejects(read(cache, 1), (error: Error) => error instanceof CacheSerializationError && problem.test(error.message))
      assert.equal(cache.counters.category.serializationErrors, 1)
    })
  }

  test('tests are strict by default: node’s test runner marks its processes', async () => {
    const cache = memoryCache({ strictSerialization: undefined })
    useLoader(cache, 'category').rows.set('1', { id: 1, at: new Date(0) })
    await assert.rejects(read(cache, 1), CacheSerializationError)
  })

  test('not strict (production): logged, counted and served uncached', async () => {
    const { log, at } = captureLog()
    const cache = memoryCache({ strictSerialization: false, log })
    const loader = useLoader(cache, 'category')
    const at0 = new Date(0)
    loader.rows.set('1', { id: 1, at: at0 })
    const doc = (await cache.findCachedDoc('category', 1)) as unknown as { at: Date }
    assert.ok(doc.at instanceof Date, 'the reader gets the value as loaded')
    assert.equal(cache.counters.category.serializationErrors, 1)
    assert.equal(at('error').length, 1)
    assert.match(at('error')[0]!.msg, /category:1 cannot be stored: \.at is a Date/)
    await cache.findCachedDoc('category', 1)
    assert.equal(loader.calls, 2, 'not cached: read again')
    assert.equal(cache.counters.category.serializationErrors, 2)
  })

  test('cached values are frozen: a reader cannot change what the next one reads', async () => {
    const cache = memoryCache()
    useLoader(cache, 'category').rows.set('1', { id: 1, units: [{ unit: 'box', factor: '12' }] })
    const doc = (await cache.findCachedDoc('category', 1)) as unknown as { units: { factor: string }[] }
    assert.throws(() => {
      doc.units[0]!.factor = '1'
    }, TypeError)
  })
})

describe('cache: background refresh and grace', () => {
  test('a read after refreshAt × ttl gets the cached value at once and reloads it in the background', async () => {
    const cache = memoryCache({ kinds: { category: { ttlMs: 200, refreshAt: 0.5, staleMs: 10_000 } } })
    const loader = useLoader(cache, 'category')
    loader.put(1)
    assert.equal((await read(cache, 1))?.version, 1)
    await sleep(120)
    loader.put(1, 2)
    loader.hold()
    assert.equal((await read(cache, 1))?.version, 1, 'served from memory while the reload waits for the database')
    await pollUntil('the reload runs', () => loader.running === 1)
    assert.equal(cache.counters.category.refreshes, 1)
    assert.equal((await read(cache, 1))?.version, 1, 'one reload at a time')
    loader.release()
    await pollUntil('the reloaded value is served', async () => (await read(cache, 1))?.version === 2)
    assert.equal(loader.calls, 2)
    assert.equal(cache.counters.category.refreshes, 1)
  })

  test('a background reload does not count in the reader’s statements', async () => {
    const cache = memoryCache({ kinds: { category: { ttlMs: 100, refreshAt: 0.5 } } })
    let scopes = 0
    const outer = newQueryStats()
    cache.register('category', {
      async load(ids: readonly CacheId[]) {
        if (currentQueryStats() === outer) scopes++
        return new Map(ids.map((id) => [id, { id: Number(id), name: 'x', version: 1 }]))
      },
      notFound: (id: CacheId) => new TestNotFound(String(id)),
    } as never)
    await read(cache, 1)
    await sleep(60)
    await runWithQueryStats(outer, () => read(cache, 1))
    await pollUntil('the refresh ran', () => cache.counters.category.refreshes === 1 && cache.counters.category.loads === 2)
    assert.equal(scopes, 0)
  })

  test('an expired entry within its grace is served while the database is down', async () => {
    const cache = memoryCache({ kinds: { category: { ttlMs: 100, refreshAt: 0.8, staleMs: 10_000 } } })
    const loader = useLoader(cache, 'category')
    loader.put(1)
    await read(cache, 1)
    await sleep(130)
    loader.failure = new Error('database down')
    assert.equal((await read(cache, 1))?.version, 1)
    assert.equal(cache.counters.category.staleHits, 1)
    await pollUntil('the background reload failed', () => cache.counters.category.loadErrors === 1)
    assert.equal((await read(cache, 1))?.version, 1, 'still served: the failed reload is not retried at once')
    assert.equal(loader.calls, 2)
  })

  test('past its grace an entry is gone: the read waits for the loader (and fails with it)', async () => {
    const cache = memoryCache({ kinds: { category: { ttlMs: 50, refreshAt: 0.8, staleMs: 50 } } })
    const loader = useLoader(cache, 'category')
    loader.put(1)
    await read(cache, 1)
    await sleep(130)
    loader.failure = new Error('database down')
    await assert.rejects(read(cache, 1), /database down/)
  })

  test('a kind without grace (tokens) is never served past its TTL', async () => {
    const cache = memoryCache({ kinds: { token: { ttlMs: 80, refreshAt: 0.9 } } })
    const loader = useLoader(cache, 'token')
    loader.put(1)
    await read(cache, 1, 'token')
    await sleep(100)
    loader.rows.delete('1')
    assert.equal(await read(cache, 1, 'token'), undefined)
  })
})

describe('cache: off', () => {
  test('BRISK_CACHE=off: every read goes to the loader, with the same not-found rules', async () => {
    const cache = memoryCache({ enabled: false })
    const loader = useLoader(cache, 'category')
    loader.put(1)
    assert.equal((await read(cache, 1))?.id, 1)
    assert.equal((await read(cache, 1))?.id, 1)
    assert.equal(await read(cache, 2), undefined)
    await assert.rejects(cache.getCachedDoc('category', 2), TestNotFound)
    assert.equal(loader.calls, 4)
    assert.equal(cache.memory.entries, 0)
  })
})

describe('cache: one loader per kind', () => {
  test('a second registration of a kind is ignored', async () => {
    const cache = memoryCache()
    const first = useLoader(cache, 'category', new FakeLoader())
    const second = useLoader(cache, 'category', new FakeLoader())
    first.put(1)
    second.put(1, 9)
    assert.equal((await read(cache, 1))?.version, 1)
    assert.equal(second.calls, 0)
  })
})
