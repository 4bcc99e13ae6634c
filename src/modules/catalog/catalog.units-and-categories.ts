import type { Db } from '../../infra/db/database.ts'
import { conflict } from '../../infra/errors.ts'
import { type Principal, requireRole } from '../access/index.ts'
import type { CatalogCache } from './catalog.cache.ts'
import * as repo from './catalog.repository.ts'
import { requireCategory, WRITERS } from './catalog.rules.ts'
import type { CategoryRow, UnitRow } from './catalog.tables.ts'

export interface CreateUnitInput {
  code: string
  name: string
}

export interface CreateCategoryInput {
  name: string
  parentId?: number | null | undefined
}

function toUnit(row: UnitRow) {
  return { code: row.code, name: row.name }
}

export type Unit = ReturnType<typeof toUnit>

export function toCategory(row: CategoryRow) {
  return { id: row.id, name: row.name, parentId: row.parent_id, createdAt: row.created_at.toISOString() }
}

export type Category = ReturnType<typeof toCategory>

export async function listUnits(db: Db): Promise<Unit[]> {
  return (await repo.listUnits(db.reader)).map(toUnit)
}

export async function createUnit(db: Db, principal: Principal, input: CreateUnitInput): Promise<Unit> {
  requireRole(principal, WRITERS)
  const row = await repo.insertUnit(db.primary, { code: input.code, name: input.name })
  if (!row) throw conflict('CATALOG_UNIT_EXISTS', `A unit with code "${input.code}" exists already.`)
  return toUnit(row)
}

export async function listCategories(db: Db): Promise<Category[]> {
  return (await repo.listCategories(db.reader)).map(toCategory)
}

export async function createCategory(catalog: CatalogCache, principal: Principal, input: CreateCategoryInput): Promise<Category> {
  requireRole(principal, WRITERS)
  const { db } = catalog
  const parentId = input.parentId ?? null
  if (parentId !== null) await requireCategory(db.primary, parentId)
  const row = await repo.insertCategory(db.primary, { name: input.name, parentId })
  if (!row) throw conflict('CATALOG_CATEGORY_EXISTS', `A category named "${input.name}" exists already.`)
  // its id may have been looked up, and remembered as missing, before it existed
  await catalog.evictCategories([row.id])
  return toCategory(row)
}
