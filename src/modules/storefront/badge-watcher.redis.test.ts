/**
 * Two processes sharing Redis (BRISK_TEST_REDIS_URL): A rendered a product page with "in stock";
 * a sale in B takes it to "few left" — B's watcher finds A's record in Redis and evicts the page's
 * badge tag everywhere, so A re-renders it; a product whose badge did not change stays cached.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import { type Cache, createCache } from '../../infra/cache/cache.ts'
import { deleteRedisKeys, pollUntil, skipWithoutRedis, testRedisUrl, uniquePrefix } from '../../infra/cache/cache.test-support.ts'
import type { Db } from '../../infra/db/database.ts'
import { notifyStockMoved } from '../inventory/index.ts'
import { type BadgeWatcher, createBadgeWatcher } from './badge-watcher.ts'
import { createPageCache, type ShellSpec } from './page-cache.ts'
import { badgeTag, stockBadgeOf } from './page-cache-tags.ts'

if (skipWithoutRedis) console.log(`badge-watcher.redis.test.ts: ${skipWithoutRedis}`)

describe('stock badges: two processes sharing Redis', { skip: skipWithoutRedis }, () => {
  const open: { cache: Cache; badges: BadgeWatcher }[] = []
  const prefixes: string[] = []
  afterEach(async () => {
    for (const { cache, badges } of open.splice(0)) {
      badges.close()
      await cache.close()
    }
    for (const prefix of prefixes.splice(0)) await deleteRedisKeys(testRedisUrl!, prefix)
  })

  /** The online stock every process reads (the database, here a map). */
  const stock = new Map<number, string>()

  async function process(prefix: string) {
    const cache = await createCache({ enabled: true, memoryBytes: 16 * 1024 * 1024, redisUrl: testRedisUrl, redisTimeoutMs: 1000, prefix })
    const db = {} as Db // only the key of its stock-move listeners
    const onlineStock = async (ids: readonly number[]) => new Map(ids.map((id) => [id, stock.get(id) ?? '0']))
    const badges = createBadgeWatcher({ db, cache, enabled: true, onlineStock })
    open.push({ cache, badges })
    const pages = createPageCache(cache)
    const productPage = (id: number): ShellSpec => ({
      key: `product:${id}`,
      tags: [badgeTag(id)],
      async render() {
        badges.rendering(id)
        const badge = stockBadgeOf(Number((await onlineStock([id])).get(id)))
        badges.rendered(id, badge)
        return `<p>${badge}</p>`
      },
    })
    return { cache, badges, pages, productPage, db }
  }

  test("a sale in B crossing a threshold evicts the page A rendered; a product whose badge held stays cached in A", async () => {
    const prefix = uniquePrefix()
    prefixes.push(prefix)
    const [a, b] = [await process(prefix), await process(prefix)]
    stock.set(1, '10').set(2, '50')
    for (const id of [1, 2]) assert.equal((await a.pages.shell(a.productPage(id))).html, '<p>in_stock</p>')
    await a.cache.flush()

    stock.set(1, '3').set(2, '40') // B sold 7 of one, 10 of the other
    notifyStockMoved(b.db, [1, 2])
    await b.badges.tick()
    assert.equal(b.badges.counters.evicted, 1)
    await pollUntil('A heard the eviction', () => a.cache.memory.peek(`pageTag:${badgeTag(1)}`, Date.now()) === undefined)
    const again = await a.pages.shell(a.productPage(1))
    assert.deepEqual(again, { html: '<p>few_left</p>', hit: false })
    assert.equal((await a.pages.shell(a.productPage(2))).hit, true)

    // A's new record reached Redis: B compares with it, and a move that crosses nothing evicts nothing
    await a.cache.flush()
    stock.set(1, '2')
    notifyStockMoved(b.db, [1])
    await b.badges.tick()
    assert.equal(b.badges.counters.evicted, 1)
    assert.equal((await a.pages.shell(a.productPage(1))).hit, true)
  })
})
