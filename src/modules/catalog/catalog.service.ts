/**
 * The catalog service: units, categories and products. Each workflow is a file of its own
 * (catalog.<workflow>.ts); this only wires them to the database and the cache.
 */
import { type Cache, memoryOnlyCache } from '../../infra/cache/cache.ts'
import type { Db } from '../../infra/db/database.ts'
import type { Principal } from '../access/index.ts'
import { type BulkUpsertInput, type BulkUpsertOptions, bulkUpsertProducts } from './catalog.bulk-upsert.ts'
import { catalogCacheOf } from './catalog.cache.ts'
import {
  type CreateProductInput,
  createProduct,
  getProduct,
  peekLookup,
  peekProduct,
  listProducts,
  lookupProduct,
  type ProductListFilter,
  type UpdateProductInput,
  updateProduct,
} from './catalog.products.ts'
import { warmCatalog } from './catalog.warm.ts'
import {
  type CreateCategoryInput,
  type CreateUnitInput,
  createCategory,
  createUnit,
  listCategories,
  listUnits,
} from './catalog.units-and-categories.ts'

/** `cache`: the app's; a service built on its own (tests, scripts) gets a memory tier of its own. */
export function createCatalogService(db: Db, cache: Cache = memoryOnlyCache()) {
  const catalog = catalogCacheOf(cache, db)
  return {
    listUnits: () => listUnits(db),
    createUnit: (principal: Principal, input: CreateUnitInput) => createUnit(db, principal, input),
    listCategories: () => listCategories(db),
    createCategory: (principal: Principal, input: CreateCategoryInput) => createCategory(catalog, principal, input),
    getProduct: (id: number) => getProduct(catalog, id),
    /** The cached objects of a product in memory, or undefined: the synchronous path of a warm read. */
    peekProduct: (id: number) => peekProduct(catalog, id),
    listProducts: (filter?: ProductListFilter) => listProducts(catalog, filter),
    lookupProduct: (code: string) => lookupProduct(catalog, code),
    /** The cached objects of a lookup in memory, or undefined: the synchronous path of a warm scan. */
    peekLookup: (code: string) => peekLookup(catalog, code),
    createProduct: (principal: Principal, input: CreateProductInput) => createProduct(catalog, principal, input),
    updateProduct: (principal: Principal, id: number, input: UpdateProductInput) => updateProduct(catalog, principal, id, input),
    bulkUpsertProducts: (principal: Principal, input: BulkUpsertInput, options?: BulkUpsertOptions) =>
      bulkUpsertProducts(catalog, principal, input, options),
    /** Loads every active product (and every category in use) into the tiers: `brisk cache warm`. */
    warmCache: () => warmCatalog(catalog),
  }
}

export type CatalogService = ReturnType<typeof createCatalogService>
