import { performance } from 'node:perf_hooks'
import { type Cache, memoryOnlyCache } from '../../infra/cache/cache.ts'
import { currentQueryStats } from '../../infra/db/query-stats.ts'
import type { Db } from '../../infra/db/database.ts'
import { createCatalogService } from '../../modules/catalog/index.ts'
import { LOOKUPS, type Workload } from './setup.ts'

export interface HitResult {
  gets: number
  getsPerSecond: number
  nsPerGet: number
}

const WARMUP_MS = 250
const CHECK_EVERY = 1024

/**
 * A memory-tier hit without HTTP: the Cache's findCachedDoc on warm products, one after another on
 * this process's one thread, in the order the HTTP load reads them. Outside a request, so no
 * request tier answers in its place.
 */
export async function measureCacheHits(db: Db, workload: Workload, durationMs: number): Promise<HitResult> {
  if (currentQueryStats() !== undefined) throw new Error('the hit benchmark must run outside a request scope')
  const cache = memoryOnlyCache()
  try {
    createCatalogService(db, cache)
    // the sequence names targets (a product's lookups, in turn): its products, in the same Zipf order
    const ids = workload.sequence.map((target) => workload.products[Math.floor(target / LOOKUPS.length)]!.id)
    await cache.findCachedDocs('product', [...new Set(ids)])
    const loadsBefore = cache.counters.product.loads
    await readLoop(cache, ids, WARMUP_MS)
    const { gets, elapsedMs } = await readLoop(cache, ids, durationMs)
    if (cache.counters.product.loads !== loadsBefore) throw new Error('the hit benchmark read from the database: the keys were not warm')
    return { gets, getsPerSecond: Math.round(gets / (elapsedMs / 1000)), nsPerGet: Math.round((elapsedMs * 1e6) / gets) }
  } finally {
    await cache.close()
  }
}

async function readLoop(cache: Cache, ids: number[], ms: number) {
  // a power of two, so the next id is a mask away
  const mask = ids.length - 1
  if ((ids.length & mask) !== 0) throw new Error('the sequence length must be a power of two')
  const start = performance.now()
  const end = start + ms
  let gets = 0
  let missing = 0
  while (true) {
    for (let i = 0; i < CHECK_EVERY; i++, gets++) {
      if ((await cache.findCachedDoc('product', ids[gets & mask]!)) === undefined) missing++
    }
    if (performance.now() >= end) break
  }
  if (missing > 0) throw new Error(`${missing} warm products were not found`)
  return { gets, elapsedMs: performance.now() - start }
}
