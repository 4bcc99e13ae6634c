import type { Db } from '../../infra/db/database.ts'

// Placeholder: the catalog service is being written (products, categories, units, bulk upsert).
export function createCatalogService(db: Db) {
  return { db }
}

export type CatalogService = ReturnType<typeof createCatalogService>
