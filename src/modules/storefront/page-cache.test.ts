import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Cache, type CacheOptions } from '../../infra/cache/cache.ts'
import { pollUntil, sleep } from '../../infra/cache/cache.test-support.ts'
import { compileShell, createPageCache, fillHoles, fillShell, forbidInShell, HOLE_NAMES, hole, type ShellSpec } from './page-cache.ts'
import { badgeTag, LISTING_TAGS, productTag } from './page-cache-tags.ts'

function memoryCache(options: Partial<CacheOptions> = {}): Cache {
  return new Cache({ enabled: true, memoryBytes: 8 * 1024 * 1024, redisTimeoutMs: 100, ...options })
}

/** A page whose render counts its calls and shows `content()` at the time it runs. */
function page(key: string, tags: string[], content: () => string = () => key) {
  const spec = {
    key,
    tags,
    renders: 0,
    async render() {
      spec.renders++
      await sleep(1)
      return `<main>${content()}</main><header>${hole('customerName')} ${hole('cartCount')}</header>`
    },
  }
  return spec
}

describe('page cache', () => {
  test('a second read hits, with the render run once', async () => {
    const pages = createPageCache(memoryCache())
    const home = page('home', [LISTING_TAGS.products])
    const first = await pages.shell(home)
    const second = await pages.shell(home)
    assert.equal(first.hit, false)
    assert.equal(second.hit, true)
    assert.equal(second.html, first.html)
    assert.equal(home.renders, 1)
    assert.deepEqual({ ...pages.counters }, { hits: 1, misses: 1, renders: 1, stale: 0, evictions: 0 })
  })

  test('200 concurrent misses of one page render it once', async () => {
    const pages = createPageCache(memoryCache())
    const product = page('product:1', [productTag(1)])
    const shells = await Promise.all(Array.from({ length: 200 }, () => pages.shell(product)))
    assert.equal(product.renders, 1)
    assert.equal(new Set(shells.map((s) => s.html)).size, 1)
  })

  test('evictTags makes exactly the shells carrying a tag stale, and they render again once', async () => {
    const pages = createPageCache(memoryCache())
    const one = page('product:1', [productTag(1), badgeTag(1)])
    const two = page('product:2', [productTag(2)])
    const listing = page('category:7', [productTag(1), productTag(2), 'category:7'])
    for (const spec of [one, two, listing]) await pages.shell(spec)
    await pages.evictTags([productTag(1)])
    assert.equal((await pages.shell(one)).hit, false)
    assert.equal((await pages.shell(listing)).hit, false)
    assert.equal((await pages.shell(two)).hit, true)
    assert.deepEqual([one.renders, two.renders, listing.renders], [2, 1, 2])
    const again = await Promise.all(Array.from({ length: 20 }, () => pages.shell(one)))
    assert.ok(again.every((shell) => shell.hit))
    await pages.evictTags([badgeTag(1)])
    await Promise.all(Array.from({ length: 20 }, () => pages.shell(one)))
    assert.equal(one.renders, 3, 'the readers of a stale shell join one render')
    assert.equal(pages.counters.stale, 3, 'counted once per re-render')
  })

  test('cachedShell: a current shell in memory, compiled once, without a promise; stale or unknown: undefined', async () => {
    const cache = memoryCache()
    const pages = createPageCache(cache)
    const product = page('product:1', [productTag(1)])
    assert.equal(pages.cachedShell?.(product), undefined, 'never rendered')
    await pages.shell(product)
    const hits = pages.counters.hits
    const compiled = pages.cachedShell?.(product)
    assert.ok(compiled)
    assert.equal(pages.cachedShell?.(product), compiled, 'compiled once per cached shell')
    assert.equal(pages.counters.hits, hits + 2)
    assert.equal(fillShell(compiled, { customerName: 'Ann' }).toString(), fillHoles((await pages.shell(product)).html, { customerName: 'Ann' }))
    await pages.evictTags([productTag(1)])
    assert.equal(pages.cachedShell?.(product), undefined, 'its tag moved')
    assert.equal((await pages.shell(product)).hit, false)
    assert.ok(pages.cachedShell?.(product))
  })

  test("the cache's own eviction of a product or category evicts its pages and the listings, nothing else", async () => {
    const cache = memoryCache()
    const pages = createPageCache(cache)
    const product = page('product:1', [productTag(1)])
    const other = page('product:2', [productTag(2)])
    const listing = page('search:tea', [LISTING_TAGS.products])
    const categories = page('categories', ['category:3', LISTING_TAGS.categories])
    for (const spec of [product, other, listing, categories]) await pages.shell(spec)
    await cache.evictMany([{ kind: 'product', ids: [1] }])
    assert.equal((await pages.shell(product)).hit, false)
    assert.equal((await pages.shell(listing)).hit, false)
    assert.equal((await pages.shell(other)).hit, true)
    assert.equal((await pages.shell(categories)).hit, true)
    await cache.evict('category', [9])
    assert.equal((await pages.shell(categories)).hit, false, 'a new category joins the tree')
  })

  test('a change committed while a shell renders makes it stale: never stored as current, not even served', async () => {
    const pages = createPageCache(memoryCache())
    let price = '2.50'
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let renders = 0
    const product: ShellSpec = {
      key: 'product:1',
      tags: [productTag(1)],
      async render() {
        renders++
        const read = price // read before the commit
        if (renders === 1) await gate
        return `<p>${read}</p>`
      },
    }
    const rendering = pages.shell(product)
    await pollUntil('the render began', () => renders === 1)
    price = '2.75'
    await pages.evictTags([productTag(1)])
    release()
    const first = await rendering
    assert.equal(first.html, '<p>2.75</p>')
    assert.equal(renders, 2)
    const next = await pages.shell(product)
    assert.deepEqual(next, { html: '<p>2.75</p>', hit: true })
  })

  test('a hot shell is re-rendered in the background ahead of its expiry: its readers never wait', async () => {
    const cache = memoryCache({ kinds: { pageShell: { ttlMs: 200, refreshAt: 0.5 } } })
    const pages = createPageCache(cache)
    let version = 1
    const home = page('home', [], () => `v${version}`)
    await pages.shell(home)
    version = 2
    await sleep(120)
    const served = await pages.shell(home)
    assert.equal(served.hit, true)
    assert.match(served.html, /v1/)
    await pollUntil('the background render', () => home.renders === 2)
    await pollUntil('the new shell stored', async () => /v2/.test((await pages.shell(home)).html))
    assert.equal(cache.counters.pageShell.refreshes, 1)
    assert.equal(home.renders, 2)
  })

  test('bounded: 5 000 pages with 5 000 tags stay within the memory tier, and render functions within maxRefreshable', async () => {
    const cache = memoryCache({ memoryBytes: 256 * 1024 })
    const pages = createPageCache(cache, { maxRefreshable: 100 })
    for (let i = 0; i < 5000; i++) await pages.shell(page(`product:${i}`, [productTag(i), badgeTag(i), LISTING_TAGS.products]))
    assert.ok(cache.memory.bytes <= cache.memory.maxBytes)
    assert.ok(cache.memory.evictions > 0)
    assert.ok(pages.refreshable <= 100)
    // a page whose render function was forgotten is rendered by its next reader
    const first = page('product:0', [productTag(0)])
    assert.equal((await pages.shell(first)).html.includes('product:0'), true)
  })

  test('off: every read renders, counted as misses', async () => {
    const pages = createPageCache(memoryCache(), { enabled: false })
    const home = page('home', [])
    await pages.shell(home)
    await pages.shell(home)
    assert.equal(home.renders, 2)
    assert.equal(pages.enabled, false)
    assert.equal(pages.counters.misses, 2)
    assert.equal(createPageCache(new Cache({ enabled: false, memoryBytes: 1024, redisTimeoutMs: 100 })).enabled, false)
  })
})

describe('holes', () => {
  const allHoles = `<p>${HOLE_NAMES.map((name) => hole(name)).join('|')}</p>`

  test('fillHoles replaces every marker; a hole with no value becomes empty', () => {
    const filled = fillHoles(`${allHoles}${allHoles}`, { customerName: 'Ann', cartCount: '3', csrf: 'tok' })
    assert.equal(filled, '<p>Ann|3||tok</p><p>Ann|3||tok</p>')
    assert.doesNotMatch(filled, /<!--hole:/)
  })

  test('fillShell is fillHoles as UTF-8 bytes, whatever the text around and in the holes', () => {
    const shell = `€ <b>${hole('customerName')}</b>${hole('cartCount')}${hole('cartCount')} · ${hole('flash')}Zoë${hole('csrf')}`
    for (const holes of [{}, { customerName: 'Hi, Zoë ✓', cartCount: '12', flash: '<div>😀</div>', csrf: 'tok' }, { cartCount: '' }]) {
      assert.deepEqual(fillShell(compileShell(shell), holes), Buffer.from(fillHoles(shell, holes)))
    }
    assert.deepEqual(fillShell(compileShell('no holes'), { customerName: 'Ann' }), Buffer.from('no holes'))
    assert.deepEqual(fillShell(compileShell(''), {}), Buffer.alloc(0))
  })

  test('the shell is the same bytes for two visitors: only fillHoles tells them apart', async () => {
    const pages = createPageCache(memoryCache())
    const spec: ShellSpec = { key: 'home', tags: [], render: async () => allHoles }
    const ann = await pages.shell(spec)
    const bob = await pages.shell(spec)
    assert.equal(ann.html, bob.html)
    assert.notEqual(fillHoles(ann.html, { customerName: 'Ann' }), fillHoles(bob.html, { customerName: 'Bob' }))
  })

  test('reading visitor state while a shell renders throws; outside a render it does not', async () => {
    const pages = createPageCache(memoryCache())
    const visitor = () => {
      forbidInShell('the session')
      return 'Ann'
    }
    assert.equal(visitor(), 'Ann')
    await assert.rejects(pages.shell({ key: 'account', tags: [], render: async () => `<p>${visitor()}</p>` }), /session was read while rendering/)
    const off = createPageCache(memoryCache(), { enabled: false })
    await assert.rejects(off.shell({ key: 'account', tags: [], render: async () => visitor() }), /per-visitor values go in holes/)
  })

  test('a marker naming no hole fails the render (a typo would drop the value silently)', async () => {
    const pages = createPageCache(memoryCache())
    await assert.rejects(pages.shell({ key: 'home', tags: [], render: async () => '<!--hole:cartCuont-->' }), /unknown hole "cartCuont"/)
  })
})
