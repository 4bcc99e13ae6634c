export {
  type CountedPageCache,
  createPageCache,
  fillHoles,
  HOLE_NAMES,
  type HoleName,
  hole,
  type PageCache,
  renderEveryTime,
  type Shell,
  type ShellSpec,
} from './page-cache.ts'
export { registerPageCacheMetrics } from './page-cache-metrics.ts'
export { type StorefrontOptions, registerStorefront } from './storefront.routes.ts'
export type { Storefront, StorefrontServices } from './storefront.render.ts'
export { csrfTokenOf } from './storefront.csrf.ts'
export { COOKIES as STOREFRONT_COOKIES } from './storefront.sessions.ts'
