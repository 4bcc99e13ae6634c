/** Imports as staff run them over HTTP: who may, and where a stock count may be. */
import type { Db } from '../../infra/db/database.ts'
import { invalid } from '../../infra/errors.ts'
import { type Principal, requireLocation, requireRole } from '../access/index.ts'
import type { CatalogCache } from '../catalog/index.ts'
import { type ImportRequest, type ImportSummary, importKindOf, runImport } from './imports.engine.ts'

export const IMPORT_ROLES = ['admin', 'manager'] as const

/** `catalog`: the process's catalog cache tiers, which a products import evicts what it writes from. */
export function createImportsService(db: Db, options: { catalog?: CatalogCache } = {}) {
  async function importFor(principal: Principal, kindName: string, request: Omit<ImportRequest, 'tokenId'>): Promise<ImportSummary> {
    requireRole(principal, IMPORT_ROLES)
    const kind = importKindOf(kindName, { catalog: options.catalog })
    const locationId = request.options?.['locationId']
    if (locationId !== undefined) requireLocation(principal, Number(locationId))
    else if (kind.name === 'stock' && principal.locationIds !== null) {
      throw invalid('IMPORTS_LOCATION_ID_REQUIRED', 'A token limited to locations names the counted location by locationId.', { field: 'locationId' })
    }
    return runImport(db, kind, { ...request, tokenId: principal.tokenId })
  }
  return { importFor }
}

export type ImportsService = ReturnType<typeof createImportsService>
