/**
 * The catalog service: units, categories and products. Each workflow is a file of its own
 * (catalog.<workflow>.ts); this only wires them to the database.
 */
import type { Db } from '../../infra/db/database.ts'
import type { Principal } from '../access/index.ts'
import { type BulkUpsertInput, type BulkUpsertOptions, bulkUpsertProducts } from './catalog.bulk-upsert.ts'
import {
  type CreateProductInput,
  createProduct,
  getProduct,
  listProducts,
  lookupProduct,
  type ProductListFilter,
  type UpdateProductInput,
  updateProduct,
} from './catalog.products.ts'
import {
  type CreateCategoryInput,
  type CreateUnitInput,
  createCategory,
  createUnit,
  listCategories,
  listUnits,
} from './catalog.units-and-categories.ts'

export function createCatalogService(db: Db) {
  return {
    listUnits: () => listUnits(db),
    createUnit: (principal: Principal, input: CreateUnitInput) => createUnit(db, principal, input),
    listCategories: () => listCategories(db),
    createCategory: (principal: Principal, input: CreateCategoryInput) => createCategory(db, principal, input),
    getProduct: (id: number) => getProduct(db, id),
    listProducts: (filter?: ProductListFilter) => listProducts(db, filter),
    lookupProduct: (code: string) => lookupProduct(db, code),
    createProduct: (principal: Principal, input: CreateProductInput) => createProduct(db, principal, input),
    updateProduct: (principal: Principal, id: number, input: UpdateProductInput) => updateProduct(db, principal, id, input),
    bulkUpsertProducts: (principal: Principal, input: BulkUpsertInput, options?: BulkUpsertOptions) =>
      bulkUpsertProducts(db, principal, input, options),
  }
}

export type CatalogService = ReturnType<typeof createCatalogService>
