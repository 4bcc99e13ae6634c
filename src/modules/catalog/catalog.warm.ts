/** Filling the cache tiers ahead of a busy day (`brisk cache warm`). */
import type { CatalogCache } from './catalog.cache.ts'
import * as repo from './catalog.repository.ts'

const WARM_PAGE = 1000

/**
 * Every active product, a page of 1,000 at a time (an id page and one load of those not cached yet),
 * with its SKU's index entry and its category.
 */
export async function warmCatalog(catalog: CatalogCache): Promise<{ products: number; categories: number }> {
  const categoryIds = new Set<number>()
  let products = 0
  for (let after = 0; ; ) {
    const ids = await repo.listProductIds(catalog.db.primary, { after, active: true, limit: WARM_PAGE })
    if (ids.length === 0) break
    const startedAt = Date.now()
    const docs = [...(await catalog.products(ids)).values()]
    catalog.cache.prime(
      'productSku',
      docs.map((doc) => [doc.sku, doc.id] as const),
      startedAt,
    )
    for (const doc of docs) if (doc.categoryId !== null) categoryIds.add(doc.categoryId)
    products += docs.length
    after = ids[ids.length - 1]!
  }
  const categories = await catalog.categories([...categoryIds])
  return { products, categories: categories.size }
}
