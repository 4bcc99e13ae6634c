export { type CatalogCheck, changedCatalogLinesCte } from './catalog.fragments.ts'
export {
  type AppliedTender,
  applyTenders,
  type Discount,
  type PricedInvoice,
  type PricedLine,
  type PricingLine,
  priceInvoice,
  refundFor,
  roundMoney,
  type TenderInput,
} from './catalog.pricing.ts'
export { type LineRef, type ResolvedLine, resolveLines } from './catalog.quantities.ts'
export { registerCatalogRoutes } from './catalog.routes.ts'
export {
  BULK_CHUNK_SIZE,
  type BulkProductInput,
  type BulkUpsertInput,
  type BulkUpsertOptions,
  type BulkUpsertProgress,
  type BulkUpsertResult,
  type CatalogService,
  type Category,
  type CreateCategoryInput,
  type CreateProductInput,
  type CreateUnitInput,
  createCatalogService,
  type Product,
  type ProductListFilter,
  type ProductLookup,
  type ProductUnitInput,
  type Unit,
  type UpdateProductInput,
} from './catalog.service.ts'
export { type SellableLine, SellableLineCache, sellableLinesOf } from './catalog.sellable-lines.ts'
