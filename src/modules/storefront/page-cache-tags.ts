/**
 * The tags pages put on their shells. `product:<id>` and `category:<id>` are the cache keys of the
 * objects shown, so the cache's own evictions of those objects evict them (cache.ts evictMany);
 * the listing tags are evicted with any product or category. `badge:<id>` is evicted by the badge
 * watcher (badge-watcher.ts) when the stock of the product moved across a badge threshold.
 */
export const productTag = (id: number): string => `product:${id}`
export const categoryTag = (id: number): string => `category:${id}`
export const badgeTag = (productId: number): string => `badge:${productId}`

/** On every page listing products (home, category, search) / showing the category tree. */
export const LISTING_TAGS = { products: 'listing:product', categories: 'listing:category' } as const

export type StockBadge = 'in_stock' | 'few_left' | 'sold_out'

/** Below this many base units (and above zero) a product shows "few left". */
export const FEW_LEFT_BELOW = 5

export function stockBadgeOf(quantity: number, fewLeftBelow = FEW_LEFT_BELOW): StockBadge {
  if (quantity <= 0) return 'sold_out'
  return quantity < fewLeftBelow ? 'few_left' : 'in_stock'
}
