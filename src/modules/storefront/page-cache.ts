/**
 * The storefront's two-pass page cache (seed 001). Pass one renders what is the same for every
 * visitor — the page shell — and keeps it in the cache tiers; pass two, per request, fills the
 * shell's holes (the visitor's name, cart badge, flash message, CSRF token) in the same response.
 * A hole is a marker in the template (`hole('cartCount')` writes `<!--hole:cartCount-->`), so the
 * shell itself can never hold a per-visitor value.
 *
 * CONTRACT (pages code against this; the implementation behind it may change):
 *   pageCache.shell({ key, tags, render }) → { html, hit }
 *   pageCache.cachedShell?.(spec)            a hit, without waiting: the shell compiled (compileShell) once
 *   pageCache.evictTags(tags)               after the commit that changed what the tags name
 *   fillShell(compiled, holes)               pass two, as bytes: every hole filled (escaped by the caller)
 *   fillHoles(html, holes)                   pass two on a string (pages rendered per request)
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
 * `fillShell` / `fillHoles`, after the cache, into bytes or a string the cache never sees again.
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

/**
 * A shell as pass two uses it: the bytes between the holes, encoded once, and the hole after each
 * (`parts.length === holes.length + 1`). Filling it copies bytes instead of running a regular
 * expression over the page and encoding the whole string again on every request.
 */
export interface CompiledShell {
  readonly parts: readonly Buffer[]
  readonly holes: readonly string[]
}

export interface PageCache {
  shell(spec: ShellSpec): Promise<Shell>
  /** The shell, compiled, when this process's memory holds it current: a hit without a promise; else undefined (ask `shell`) */
  cachedShell?(spec: ShellSpec): CompiledShell | undefined
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

export function compileShell(html: string): CompiledShell {
  // split with the marker's group: text, hole name, text, …, text
  const pieces = html.split(HOLE_MARKER)
  const parts: Buffer[] = []
  const holes: string[] = []
  for (let i = 0; i < pieces.length; i++) {
    if (i % 2 === 0) parts.push(Buffer.from(pieces[i]!))
    else holes.push(pieces[i]!)
  }
  return { parts, holes }
}

/** Pass two as bytes: `fillHoles(html, holes)` encoded as UTF-8, without touching the page's text. */
export function fillShell(shell: CompiledShell, holes: Partial<Record<HoleName, string>>): Buffer {
  const { parts, holes: names } = shell
  const values = names.map((name) => holes[name as HoleName] ?? '')
  let length = 0
  for (const part of parts) length += part.length
  for (const value of values) length += Buffer.byteLength(value)
  const page = Buffer.allocUnsafe(length)
  let at = 0
  for (let i = 0; i < values.length; i++) {
    at += parts[i]!.copy(page, at)
    at += page.write(values[i]!, at)
  }
  at += parts[parts.length - 1]!.copy(page, at)
  // allocUnsafe's memory may hold other bytes: never send past what was written
  return at === length ? page : page.subarray(0, at)
}
