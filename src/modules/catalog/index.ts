export {
  BULK_CHUNK_SIZE,
  type BulkProductInput,
  type BulkUpsertInput,
  type BulkUpsertOptions,
  type BulkUpsertProgress,
  type BulkUpsertResult,
  type PreparedLine as PreparedProductLine,
  prepareProductLine,
  type RefusedLine,
  type UpsertedLines,
  upsertProductLines,
} from './catalog.bulk-upsert.ts'
export { type CatalogCache, catalogCacheOf, type ProductDoc } from './catalog.cache.ts'
export { type CatalogCheck, changedCatalogLinesCte } from './catalog.fragments.ts'
export {
  type AppliedTender,
  applyTenders,
  type Discount,
  type LineOrigin,
  nameOfLine,
  originDetails,
  type PricedInvoice,
  type PricedLine,
  type PricingLine,
  priceInvoice,
  refundFor,
  roundMoney,
  type TenderInput,
} from './catalog.pricing.ts'
export type { CreateProductInput, Product, ProductListFilter, ProductLookup, UpdateProductInput } from './catalog.products.ts'
export {
  fieldOf,
  type LineRef,
  namesForMessage,
  type ResolvedLine,
  resolveLines,
  withFields,
} from './catalog.quantities.ts'
export { registerCatalogRoutes } from './catalog.routes.ts'
export { BulkUpsertBody, MoneyOutput, UnitPriceOutput } from './catalog.schemas.ts'
export type { ProductUnitInput } from './catalog.rules.ts'
export { type SellableLine, sellableLinesFromCache, sellableLinesOf } from './catalog.sellable-lines.ts'
export { type CatalogService, createCatalogService } from './catalog.service.ts'
export type { Category, CreateCategoryInput, CreateUnitInput, Unit } from './catalog.units-and-categories.ts'
