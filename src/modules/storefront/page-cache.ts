/**
 * The storefront's two-pass page cache (seed 001). Pass one renders what is the same for every
 * visitor — the page shell — and keeps it in the cache tiers; pass two, per request, fills the
 * shell's holes (the visitor's name, cart badge, flash message, CSRF token) in the same response.
 * A hole is a marker in the template (`hole('cartCount')` writes `<!--hole:cartCount-->`), so the
 * shell itself can never hold a per-visitor value.
 *
 * CONTRACT (pages code against this; the implementation behind it may change):
 *   pageCache.shell({ key, tags, render }) → { html, hit }
 *   pageCache.evictTags(tags)               after the commit that changed what the tags name
 *   fillHoles(shell, holes)                  pass two: every marker replaced (escaped by the caller)
 *
 * The implementation (page-cache-tiers.ts): `createPageCache(cache, { enabled })`, shells in the
 * cache tiers, versioned tags. Tags name what a shell shows: `product:<id>` and `category:<id>`
 * (evicted by the catalog's own cache evictions, in every process), `listing:product` and
 * `listing:category` on any page listing products or categories (evicted with any product or
 * category: one may have joined or left the list), `badge:<productId>` for a stock badge (see
 * page-cache-tags.ts).
 *
 * Why a shell cannot hold a per-visitor value: `render` takes no argument; it runs for whichever
 * request misses first, for every request that joins that miss, and again in the background with
 * no request at all, so it is written against nothing but catalog data; and while it runs the
 * accessors of visitor state throw (`forbidInShell`). Visitor values reach a page only through
 * `fillHoles`, after the cache, on a string the cache never sees again.
 */
export { type CountedPageCache, createPageCache, forbidInShell, type PageCacheCounters, type PageCacheOptions } from './page-cache-tiers.ts'

export const HOLE_NAMES = ['customerName', 'cartCount', 'flash', 'csrf'] as const
export type HoleName = (typeof HOLE_NAMES)[number]

/** The marker a template writes where a per-visitor value goes. */
export const hole = (name: HoleName): string => `<!--hole:${name}-->`

export interface ShellSpec {
  /** page and parameters, e.g. `product:42` or `category:7:page=2:sort=price` */
  key: string
  /** the objects the shell shows, e.g. `product:42`, `category:7`: evicting a tag evicts the shell */
  tags: readonly string[]
  /** renders the shell: no per-visitor value, only hole markers */
  render(): Promise<string>
}

export interface Shell {
  html: string
  /** served from a cache tier (no rendering, no statement) */
  hit: boolean
}

export interface PageCache {
  shell(spec: ShellSpec): Promise<Shell>
  evictTags(tags: readonly string[]): Promise<void>
}

/** No caching: every request renders its shell (BRISK_PAGE_CACHE=off, and the bench's "uncached"). */
export const renderEveryTime: PageCache = {
  async shell(spec) {
    return { html: await spec.render(), hit: false }
  },
  async evictTags() {},
}

const HOLE_MARKER = /<!--hole:([a-zA-Z]+)-->/g

/** Pass two: each marker replaced by its (already escaped) HTML; a hole with no value becomes empty. */
export function fillHoles(shell: string, holes: Partial<Record<HoleName, string>>): string {
  return shell.replace(HOLE_MARKER, (_marker, name: string) => holes[name as HoleName] ?? '')
}
