/**
 * The badge watcher: evicts a product page when its stock badge ("in stock / few left / sold out")
 * changed, without a statement on the writes that move stock. Sales, orders, adjustments tell the
 * inventory module after their commit which products moved (`onStockMoved`: ids they hold, no
 * statement); the watcher keeps those ids, and every `intervalMs` reads their online stock in ONE
 * statement and compares each badge with the one the product page was last rendered with. Only a
 * changed badge evicts: the page's `badge:<id>` tag and the record, in one eviction that the
 * cache's bus carries to every process — the page may have been rendered by another one.
 *
 * The rendered badge is an entry of kind `stockBadge` in the cache tiers (Redis when there is one,
 * so every process compares with the same record). A render first records 'rendering', then the
 * badge it read: a move the watcher sees while the render reads stock finds 'rendering' and evicts
 * the tag, whose version the render read before it began — the shell is stale on arrival. A
 * product no page shows has no record: its moves evict nothing.
 *
 * Replicas: the pages and this read the reader, which may lag; an id is re-checked for `settleMs`
 * after its last move, so a badge read before the replica replayed the move is corrected then.
 */
import type { Cache } from '../../infra/cache/cache.ts'
import type { Db } from '../../infra/db/database.ts'
import { onStockMoved } from '../inventory/index.ts'
import { badgeTag, type StockBadge, stockBadgeOf } from './page-cache-tags.ts'

type RecordedBadge = StockBadge | 'rendering'

declare module '../../infra/cache/cache-keys.ts' {
  interface CachedValues {
    stockBadge: RecordedBadge
  }
}

export interface BadgeWatcherOptions {
  /** how often moved products are checked (default 1 000 ms) */
  intervalMs?: number | undefined
  /** how long after its last move a product is still checked, for lagging replicas (default 3 000 ms) */
  settleMs?: number | undefined
  /** products watched at most; beyond, the longest-watched are dropped (default 100 000) */
  maxWatched?: number | undefined
  /** products read per tick at most; the rest wait for the next tick (default 5 000) */
  maxPerTick?: number | undefined
}

export interface BadgeWatcherDeps {
  db: Db
  cache: Cache
  /** page caching is on: otherwise nothing is cached, recorded or watched */
  enabled: boolean
  /** stock over the locations selling online, by product, in base units (inventory's, one statement) */
  onlineStock(productIds: readonly number[]): Promise<ReadonlyMap<number, string>>
  log?: { warn(details: object, message: string): void } | undefined
}

export interface BadgeWatcherCounters {
  ticks: number
  /** products whose stock was read */
  checked: number
  /** products whose page was evicted for a changed badge */
  evicted: number
  /** products dropped unchecked because maxWatched was reached */
  dropped: number
}

export interface BadgeWatcher {
  /** Before a product page reads the stock. */
  rendering(productId: number): void
  /** After it read the stock: the badge the page shows. */
  rendered(productId: number, badge: StockBadge): void
  /** Checks the products that moved now (the timer calls it; tests call it directly). */
  tick(): Promise<void>
  start(): void
  close(): void
  readonly watched: number
  readonly counters: Readonly<BadgeWatcherCounters>
}

export function createBadgeWatcher(deps: BadgeWatcherDeps, options: BadgeWatcherOptions = {}): BadgeWatcher {
  const { cache } = deps
  const on = deps.enabled && cache.enabled
  const intervalMs = options.intervalMs ?? 1000
  const settleMs = options.settleMs ?? 3000
  const maxWatched = options.maxWatched ?? 100_000
  const maxPerTick = options.maxPerTick ?? 5000
  const counters: BadgeWatcherCounters = { ticks: 0, checked: 0, evicted: 0, dropped: 0 }
  /** product id → when its stock last moved (insertion order: the longest-watched first) */
  const watched = new Map<number, number>()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  if (on) cache.register('stockBadge', { load: async () => new Map(), notFound: (id) => new Error(`no badge recorded for product ${id}`) })
  const unsubscribe = on
    ? onStockMoved(deps.db, (ids) => {
        const now = Date.now()
        for (const id of ids) {
          watched.delete(id)
          watched.set(id, now)
        }
        for (const id of watched.keys()) {
          if (watched.size <= maxWatched) break
          watched.delete(id)
          counters.dropped++
        }
      })
    : () => {}

  async function check(): Promise<void> {
    const startedAt = Date.now()
    const ids = [...watched.keys()].slice(0, maxPerTick)
    if (ids.length === 0) return
    counters.ticks++
    counters.checked += ids.length
    const stock = await deps.onlineStock(ids)
    // Redis holds what every process rendered; this process's memory only what it rendered or read
    const shared = cache.redis.configured && !cache.redis.down
    const recorded = await cache.findCachedDocs('stockBadge', ids, shared)
    const changed = ids.filter((id) => {
      const badge = recorded.get(id)
      return badge !== undefined && badge !== stockBadgeOf(Number(stock.get(id) ?? '0'))
    })
    if (changed.length > 0) {
      await cache.evict('pageTag', changed.map(badgeTag))
      // Records are overwritten, never evicted: a prime overtaken by an eviction is dropped, and a lost
      // record would hide the next crossing of a current page; a record ahead of its page only costs an eviction.
      cache.prime('stockBadge', changed.map((id) => [id, stockBadgeOf(Number(stock.get(id) ?? '0'))] as const), Date.now())
      counters.evicted += changed.length
    }
    for (const id of ids) {
      const movedAt = watched.get(id)
      if (movedAt !== undefined && movedAt + settleMs <= startedAt) watched.delete(id)
    }
  }

  const tick = (): Promise<void> => {
    running ??= check().finally(() => {
      running = undefined
    })
    return running
  }

  return {
    rendering(productId) {
      if (on) cache.prime('stockBadge', [[productId, 'rendering']], Date.now())
    },
    rendered(productId, badge) {
      if (on) cache.prime('stockBadge', [[productId, badge]], Date.now())
    },
    tick,
    start() {
      if (!on || timer !== undefined) return
      timer = setInterval(() => {
        tick().catch((error: unknown) => deps.log?.warn({ err: error }, 'stock badge check failed; retried at the next tick'))
      }, intervalMs)
      timer.unref()
    },
    close() {
      clearInterval(timer)
      timer = undefined
      unsubscribe()
    },
    get watched() {
      return watched.size
    },
    counters,
  }
}
