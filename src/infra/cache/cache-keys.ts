/**
 * Every kind of cached entry and how long it lives: the one place to read when sizing Redis or
 * asking how stale an entry can be. An entry's key is `<kind>:<id>` in the memory tier and
 * `<prefix>:<kind>:<id>` in Redis. The module that owns a kind registers its loader (see cache.ts)
 * and declares its values' type by augmenting `CachedValues`.
 *
 * Invalidation is explicit (the writing service evicts after its commit), so the TTL is only the
 * bound for writes Brisk does not see (SQL run by hand); `staleMs` is how long past it an entry may
 * still be served while it is reloaded in the background, or while the database is down.
 */
export interface CacheKindSpec {
  /** an entry is fresh this long after the load that read it began */
  readonly ttlMs: number
  /** served this long past ttlMs while a background reload runs (0: never served past ttlMs) */
  readonly staleMs: number
  /** a read after this share of ttlMs reloads the entry in the background: a hot entry never expires under its readers */
  readonly refreshAt: number
  /** an id with nothing behind it is remembered this long */
  readonly missingTtlMs: number
  /** an eviction of an entry of this kind also evicts the page tags `<kind>:<id>` and `listing:<kind>` (storefront pages showing it) */
  readonly tagsPages?: boolean
  readonly description: string
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** Products, categories, locations: changed rarely, read on every sale and page. */
const MASTER_DATA = { ttlMs: 10 * MINUTE, staleMs: 24 * HOUR, refreshAt: 0.8, missingTtlMs: 30_000 } as const

export const CACHE_KINDS = {
  product: {
    ...MASTER_DATA,
    tagsPages: true,
    description: 'a product by id: SKU, barcodes, name, price, tax rate, active, its units with factors and barcodes, category id',
  },
  productSku: { ...MASTER_DATA, description: 'a SKU → the id of its product (sales lines by SKU)' },
  productCode: {
    ...MASTER_DATA,
    description: 'a scanned or typed code → product id, the unit it stands for and how it matched (barcode, unit barcode, SKU)',
  },
  category: { ...MASTER_DATA, tagsPages: true, description: 'a category by id: name, parent' },
  location: { ...MASTER_DATA, description: 'a location by id: code, name, kind, whether stock may go negative' },
  locationIds: { ...MASTER_DATA, description: 'the ids of every location, in order (one entry, id "all")' },
  token: {
    ttlMs: 2000,
    staleMs: 0,
    refreshAt: 0.5,
    missingTtlMs: 2000,
    description:
      'an API token by SHA-256 hash → who it is. 2 s, so that a revocation no bus carries (a database write by hand, a ' +
      'process without Redis) bites within 2 s; a token in use is reloaded in the background after 1 s',
  },
  visitor: {
    ttlMs: 30_000,
    staleMs: 0,
    refreshAt: 0.5,
    missingTtlMs: 30_000,
    description:
      "a storefront visitor by the SHA-256 of their session and cart tokens → their name and cart line count (the page " +
      "holes). The storefront evicts it after the visitor's own cart, sign-in and sign-out writes; 30 s bounds what it " +
      'does not see (the JSON API, a session revoked elsewhere)',
  },
  pageShell: {
    ttlMs: 10 * MINUTE,
    staleMs: HOUR,
    refreshAt: 0.8,
    // a shell is always rendered; 0 keeps a failed render from being remembered as missing
    missingTtlMs: 0,
    description:
      'a storefront page shell by page and parameters: its HTML with hole markers, its tags and their versions at render ' +
      '(stale when a tag version moved; re-rendered in the background after 8 minutes of reads)',
  },
  pageTag: {
    ttlMs: 24 * HOUR,
    staleMs: 0,
    // never refreshed: a reload makes a new version, which would make every shell carrying the tag stale
    refreshAt: 1,
    missingTtlMs: 0,
    description:
      'a page tag (`product:42`, `category:7`, `badge:42`) → its version: evicting it makes a new one, so every shell ' +
      'rendered with the old version is stale, in every process, with no tag → shells index',
  },
  stockBadge: {
    // outlives any shell (pageShell: 10 min + 1 h stale), so no shell shows a badge nobody remembers
    ttlMs: 2 * HOUR,
    staleMs: 0,
    refreshAt: 1,
    missingTtlMs: 0,
    description:
      "a product id → the stock badge its page was last rendered with ('in_stock', 'few_left', 'sold_out'; 'rendering' " +
      "while a render reads the stock): the storefront's badge watcher evicts the page's `badge:<id>` tag when the stock " +
      'moved across a threshold, whichever process rendered it',
  },
} as const satisfies Record<string, CacheKindSpec>

export type CacheKind = keyof typeof CACHE_KINDS

export const CACHE_KIND_NAMES = Object.keys(CACHE_KINDS) as CacheKind[]

export type CacheKindSpecs = Readonly<Record<CacheKind, CacheKindSpec>>

/** Timings that differ from CACHE_KINDS, per kind (tests use short ones). */
export type CacheKindOverrides = Partial<Record<CacheKind, Partial<CacheKindSpec>>>

export function kindSpecs(overrides: CacheKindOverrides = {}): CacheKindSpecs {
  return Object.fromEntries(CACHE_KIND_NAMES.map((kind) => [kind, { ...CACHE_KINDS[kind], ...overrides[kind] }])) as Record<
    CacheKind,
    CacheKindSpec
  >
}

export function isCacheKind(name: string): name is CacheKind {
  return Object.hasOwn(CACHE_KINDS, name)
}

/**
 * What each kind holds, declared by its owning module:
 * `declare module '../../infra/cache/cache-keys.ts' { interface CachedValues { product: ProductDoc } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in the modules
export interface CachedValues {}

export type CachedValue<K extends CacheKind> = K extends keyof CachedValues ? CachedValues[K] : unknown

export type CacheId = number | string

/** The key of an entry in the memory tier (Redis adds the cache's prefix in front). */
export function cacheKey(kind: CacheKind, id: CacheId): string {
  return `${kind}:${id}`
}

/** The page tag of every listing of a kind's entries (`listing:product`): evicted with any entry of the kind. */
export function listingTag(kind: CacheKind): string {
  return `listing:${kind}`
}

/** The kind of a memory-tier key, if it is one. */
export function kindOfKey(key: string): CacheKind | undefined {
  const kind = key.slice(0, key.indexOf(':'))
  return isCacheKind(kind) ? kind : undefined
}
