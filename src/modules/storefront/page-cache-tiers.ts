/**
 * The page cache on the cache tiers (infra/cache): a shell is an entry of kind `pageShell` — in
 * this process's memory and in Redis, so another process serves what one rendered — loaded by
 * rendering it, which gives stampede protection (concurrent misses join one render) and
 * refresh-ahead (a shell read after 80 % of its TTL is re-rendered in the background) for free.
 *
 * Tags are versioned, not indexed. A tag (`product:42`) has a version, an entry of kind `pageTag`
 * made when first read; a shell stores the versions of its tags, read BEFORE it renders, and is
 * stale as soon as one of them moved. Evicting a tag evicts its version from every tier of every
 * process (the cache's bus), so the next read makes a new one: exactly the shells carrying the tag
 * are stale everywhere, and nothing needs to know which shells those are. There is no tag → shells
 * index to grow: memory is bounded by the memory tier's byte bound, Redis by the entries' TTLs. The
 * price is a version lookup per tag on every hit (a Map lookup each, when warm). A lost version
 * (memory pressure without Redis, its 24 h TTL) only costs a re-render: an unknown version is new.
 *
 * The cache derives `product:<id>`, `category:<id>`, `listing:product` and `listing:category` from
 * its own evictions of products and categories (cache.ts evictMany), so no catalog writer has to
 * remember pages, in any process that writes (a CLI import too).
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import type { Cache } from '../../infra/cache/cache.ts'
import { type CompiledShell, compileShell, HOLE_NAMES, type PageCache, type Shell, type ShellSpec } from './page-cache.ts'

/** A shell as cached: plain JSON, shared by every reader of the process. */
export interface ShellDoc {
  readonly html: string
  readonly tags: readonly string[]
  /** each tag's version when the render began */
  readonly versions: readonly string[]
}

declare module '../../infra/cache/cache-keys.ts' {
  interface CachedValues {
    pageShell: ShellDoc
    pageTag: string
  }
}

export interface PageCacheCounters {
  /** shells served from a tier, current */
  hits: number
  /** shells that had to be rendered first (or waited for another request's render) */
  misses: number
  /** renders run, in the foreground or in the background */
  renders: number
  /** cached shells found stale because a tag's version moved */
  stale: number
  /** tags evicted through evictTags (the cache's own product and category evictions are counted as its `pageTag` evictions) */
  evictions: number
}

export interface CountedPageCache extends PageCache {
  readonly counters: Readonly<PageCacheCounters>
  readonly enabled: boolean
  /** pages whose render function is kept for a background refresh (bounded by maxRefreshable) */
  readonly refreshable: number
}

export interface PageCacheOptions {
  /** BRISK_PAGE_CACHE; off (or a cache that is off) renders every shell */
  enabled?: boolean | undefined
  /** how many pages' render functions are kept for background refreshes (default 10 000) */
  maxRefreshable?: number | undefined
}

const newCounters = (): PageCacheCounters => ({ hits: 0, misses: 0, renders: 0, stale: 0, evictions: 0 })

/** A version no other render has seen: 8 random bytes after the time, so two processes never make the same one. */
const newVersion = (): string => `${Date.now().toString(36)}.${randomBytes(8).toString('base64url')}`

const HOLE_MARKER = /<!--hole:([a-zA-Z]+)-->/g

/** Set while a shell renders: what belongs to one visitor refuses to be read there (`forbidInShell`). */
const renderingShell = new AsyncLocalStorage<string>()

/**
 * Throws when called while a shell renders. The accessors of per-visitor state (the session, the
 * customer, the cart, the CSRF token) call it, so a template that reaches for the visitor in pass
 * one fails at once, in every test, instead of caching one visitor's value for the next.
 */
export function forbidInShell(what: string): void {
  const page = renderingShell.getStore()
  if (page !== undefined) {
    throw new Error(`${what} was read while rendering the shell of ${page}: per-visitor values go in holes (fillHoles), never in the shell`)
  }
}

const pageCaches = new WeakMap<Cache, TieredPageCache>()

/**
 * The page cache of a cache (one per cache: the loaders of its kinds are registered once). With
 * the page cache or the cache off, every shell is rendered on every request, counted the same way.
 */
export function createPageCache(cache: Cache, options: PageCacheOptions = {}): CountedPageCache {
  if (options.enabled === false || !cache.enabled) return countedRenderEveryTime()
  let pages = pageCaches.get(cache)
  if (pages === undefined) {
    pages = new TieredPageCache(cache, options.maxRefreshable ?? 10_000)
    pageCaches.set(cache, pages)
  }
  return pages
}

function countedRenderEveryTime(): CountedPageCache {
  const counters = newCounters()
  return {
    counters,
    enabled: false,
    refreshable: 0,
    async shell(spec) {
      counters.misses++
      counters.renders++
      return { html: await renderShell(spec), hit: false }
    },
    async evictTags(tags) {
      counters.evictions += tags.length
    },
  }
}

/** Runs a spec's render with the visitor out of reach, and checks that every marker names a hole. */
async function renderShell(spec: ShellSpec): Promise<string> {
  const html = await renderingShell.run(spec.key, () => spec.render())
  for (const [, name] of html.matchAll(HOLE_MARKER)) {
    if (!(HOLE_NAMES as readonly string[]).includes(name!)) throw new Error(`the shell of ${spec.key} has a marker for an unknown hole "${name}"`)
  }
  return html
}

class TieredPageCache implements CountedPageCache {
  readonly counters = newCounters()
  readonly enabled = true
  readonly #cache: Cache
  /** the latest spec of each page, for the load that renders it (a miss, or a background refresh); oldest dropped first */
  readonly #specs = new Map<string, ShellSpec>()
  readonly #maxSpecs: number
  /** shells this process rendered: a reader that got one did not hit */
  readonly #rendered = new WeakSet<ShellDoc>()
  /** each cached shell split at its holes, made on its first read: it goes when the tiers drop the shell */
  readonly #compiled = new WeakMap<ShellDoc, CompiledShell>()
  /** re-renders of stale shells under way, by key: concurrent readers of a stale shell join one */
  readonly #rerenders = new Map<string, Promise<ShellDoc>>()

  constructor(cache: Cache, maxSpecs: number) {
    this.#cache = cache
    this.#maxSpecs = maxSpecs
    cache.register('pageShell', {
      load: (keys) => this.#renderMany(keys.map(String)),
      notFound: (key) => new Error(`no shell for ${key}`),
    })
    cache.register('pageTag', {
      // the "database" of versions: a tag no tier knows gets a new one (stored in memory and Redis by the load)
      load: async (tags) => new Map(tags.map((tag) => [tag, newVersion()])),
      notFound: (tag) => new Error(`no version for the tag ${tag}`),
    })
  }

  get refreshable(): number {
    return this.#specs.size
  }

  cachedShell(spec: ShellSpec): CompiledShell | undefined {
    const doc = this.#cache.peekCachedDoc('pageShell', spec.key)
    if (doc === undefined || doc === null || this.#isCurrentInMemory(doc) !== true) return undefined
    this.#remember(spec)
    this.counters.hits++
    let compiled = this.#compiled.get(doc)
    if (compiled === undefined) {
      compiled = compileShell(doc.html)
      this.#compiled.set(doc, compiled)
    }
    return compiled
  }

  async shell(spec: ShellSpec): Promise<Shell> {
    this.#remember(spec)
    let doc: ShellDoc | undefined = this.#cache.peekCachedDoc('pageShell', spec.key) ?? undefined
    let hit = doc !== undefined
    if (doc === undefined) {
      // Redis, else a render that concurrent misses of this process join
      doc = (await this.#cache.findCachedDocs('pageShell', [spec.key], true)).get(spec.key)
      hit = doc !== undefined && !this.#rendered.has(doc)
    }
    if (doc === undefined || !(this.#isCurrentInMemory(doc) ?? (await this.#isCurrent(doc)))) {
      doc = await this.#rerender(spec, doc !== undefined)
      hit = false
    }
    if (hit) this.counters.hits++
    else this.counters.misses++
    return { html: doc.html, hit }
  }

  async evictTags(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return
    this.counters.evictions += tags.length
    await this.#cache.evict('pageTag', [...new Set(tags)])
  }

  #remember(spec: ShellSpec): void {
    this.#specs.delete(spec.key)
    this.#specs.set(spec.key, spec)
    if (this.#specs.size > this.#maxSpecs) this.#specs.delete(this.#specs.keys().next().value!)
  }

  /** Whether no tag of `doc` moved since it was rendered, from memory alone: undefined when a version is not there. */
  #isCurrentInMemory(doc: ShellDoc): boolean | undefined {
    let known = true
    for (let i = 0; i < doc.tags.length; i++) {
      const version = this.#cache.peekCachedDoc('pageTag', doc.tags[i]!)
      if (version === undefined || version === null) known = false
      else if (version !== doc.versions[i]) return false
    }
    return known ? true : undefined
  }

  /** The rest of `#isCurrentInMemory`: the versions memory does not hold, from Redis (or new). */
  async #isCurrent(doc: ShellDoc): Promise<boolean> {
    const unknown = doc.tags.filter((tag) => {
      const version = this.#cache.peekCachedDoc('pageTag', tag)
      return version === undefined || version === null
    })
    const versions = await this.#cache.findCachedDocs('pageTag', unknown, true)
    return doc.tags.every((tag, i) => !versions.has(tag) || versions.get(tag) === doc.versions[i])
  }

  /** The loader of `pageShell`: every page it has a spec for (one without is left out, and rendered by its reader). */
  async #renderMany(keys: string[]): Promise<Map<string, ShellDoc>> {
    const known = keys.flatMap((key) => {
      const spec = this.#specs.get(key)
      return spec ? [spec] : []
    })
    const docs = await Promise.all(known.map((spec) => this.#render(spec)))
    return new Map(known.map((spec, i) => [spec.key, docs[i]!]))
  }

  async #render(spec: ShellSpec): Promise<ShellDoc> {
    const tags = [...new Set(spec.tags)]
    // Versions first: a change committed while the shell renders moves one, so the shell is stale, never wrongly current.
    const versions = await this.#cache.findCachedDocs('pageTag', tags)
    this.counters.renders++
    const html = await renderShell(spec)
    const doc: ShellDoc = { html, tags, versions: tags.map((tag) => versions.get(tag) ?? '') }
    this.#rendered.add(doc)
    return doc
  }

  /** A stale shell rendered again, once per key however many readers found it stale, and stored over the old one. */
  #rerender(spec: ShellSpec, stale: boolean): Promise<ShellDoc> {
    let flight = this.#rerenders.get(spec.key)
    if (flight === undefined) {
      if (stale) this.counters.stale++
      const startedAt = Date.now()
      flight = this.#render(spec)
        .then((doc) => {
          this.#cache.prime('pageShell', [[spec.key, doc]], startedAt)
          return doc
        })
        .finally(() => this.#rerenders.delete(spec.key))
      this.#rerenders.set(spec.key, flight)
    }
    return flight
  }
}
