import { batchOrdersScenario } from './batch-orders/index.ts'
import { bulkScenario } from './bulk/index.ts'
import { cacheInvalidationScenario } from './cache-invalidation/index.ts'
import { catalogReadScenario } from './catalog-read/index.ts'
import { checkoutScenario } from './checkout/index.ts'
import { flashSaleScenario } from './flash-sale/index.ts'
import { invoiceSubmitScenario } from './invoice-submit/index.ts'
import { readScalingScenario } from './read-scaling/index.ts'
import type { BenchScenario } from './scenario.ts'
import { storefrontScenario } from './storefront/index.ts'

/** Every `brisk bench` scenario; add new ones here. */
export const BENCH_SCENARIOS: BenchScenario[] = [
  invoiceSubmitScenario,
  catalogReadScenario,
  cacheInvalidationScenario,
  readScalingScenario,
  checkoutScenario,
  flashSaleScenario,
  batchOrdersScenario,
  bulkScenario,
  storefrontScenario,
]
