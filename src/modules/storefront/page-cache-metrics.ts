/**
 * The page cache's family on /metrics, read from its counters when scraped. The tiers' own figures
 * for shells and tag versions are the cache's families with kind="pageShell" / "pageTag"
 * (refreshes, Redis hits, evictions derived from product and category evictions).
 */
import { Counter } from 'prom-client'
import type { Metrics } from '../../infra/http/metrics.ts'
import type { CountedPageCache, PageCacheCounters } from './page-cache-tiers.ts'

const EVENTS: readonly (keyof PageCacheCounters)[] = ['hits', 'misses', 'renders', 'stale', 'evictions']

export function registerPageCacheMetrics(metrics: Metrics, pages: CountedPageCache): void {
  new Counter({
    name: 'brisk_page_cache_events_total',
    help:
      'Storefront page shells by event: hits (served from a tier), misses (rendered first), renders (foreground and ' +
      'background), stale (a tag moved since the render), evictions (tags evicted by evictTags).',
    labelNames: ['event'],
    registers: [metrics.registry],
    collect() {
      this.reset()
      for (const event of EVENTS) this.inc({ event }, pages.counters[event])
    },
  })
}
