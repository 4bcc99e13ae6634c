import { createHash, randomBytes } from 'node:crypto'
import type { Db } from '../../infra/db/database.ts'
import { AppError, forbidden, invalid, notFound } from '../../infra/errors.ts'
import * as repo from './access.repository.ts'
import type { Role } from './access.tables.ts'

export const ROLES: readonly Role[] = ['admin', 'manager', 'cashier']

/** Who is calling: resolved from the bearer token on every authenticated request. */
export interface Principal {
  /** null for Brisk itself (seeding, imports run from the CLI) */
  tokenId: number | null
  name: string
  role: Role
  /** null: every location */
  locationIds: readonly number[] | null
}

export interface CreateTokenInput {
  name: string
  role: Role
  /** location codes the token is limited to; empty or absent: every location */
  locations?: string[]
}

/** Brisk acting on its own behalf from the CLI: every role, every location. */
export const SYSTEM_PRINCIPAL: Principal = Object.freeze({ tokenId: null, name: 'system', role: 'admin', locationIds: null })

/** Whose Idempotency-Keys a caller's are: the same key sent with two tokens is two keys. */
export function idempotencyScopeOf(principal: Principal): string {
  return principal.tokenId === null ? 'system' : `token:${principal.tokenId}`
}

const TOKEN_PREFIX = 'brisk_'
/** Seconds a verified token stays cached in this process; a revocation takes at most this long to bite. */
const TOKEN_CACHE_SECONDS = 30

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export function createAccessService(db: Db) {
  const cache = new Map<string, { principal: Principal | null; expiresAt: number }>()

  async function createToken(input: CreateTokenInput) {
    if (!ROLES.includes(input.role)) throw invalid('ACCESS_INVALID_ROLE', `Role must be one of ${ROLES.join(', ')}`)
    const name = input.name.trim()
    if (!name) throw invalid('ACCESS_INVALID_NAME', 'A token needs a name')
    let locationIds: number[] | null = null
    const codes = [...new Set(input.locations ?? [])]
    if (codes.length > 0) {
      const found = await repo.findLocationIdsByCode(db.primary, codes)
      const missing = codes.filter((code) => !found.some((row) => row.code === code))
      if (missing.length > 0) throw notFound('ACCESS_UNKNOWN_LOCATION', `Unknown location: ${missing.join(', ')}`, { missing })
      locationIds = found.map((row) => row.id).sort((a, b) => a - b)
    }
    const token = TOKEN_PREFIX + randomBytes(24).toString('base64url')
    const row = await repo.insertToken(db.primary, { name, role: input.role, tokenHash: hashToken(token), locationIds })
    return { token, id: row.id, name: row.name, role: row.role, locationIds: row.location_ids }
  }

  async function authenticate(token: string): Promise<Principal | null> {
    const hash = hashToken(token)
    const now = Date.now()
    const cached = cache.get(hash)
    if (cached && cached.expiresAt > now) return cached.principal
    const row = token.startsWith(TOKEN_PREFIX) ? await repo.findActiveTokenByHash(db.primary, hash) : undefined
    const principal = row ? { tokenId: row.id, name: row.name, role: row.role, locationIds: row.location_ids } : null
    if (cache.size > 10_000) cache.clear()
    cache.set(hash, { principal, expiresAt: now + TOKEN_CACHE_SECONDS * 1000 })
    return principal
  }

  async function revokeToken(id: number) {
    const row = await repo.revokeToken(db.primary, id)
    if (!row) throw notFound('ACCESS_TOKEN_NOT_FOUND', `No active token with id ${id}`)
    cache.clear()
  }

  return {
    createToken,
    authenticate,
    revokeToken,
    listTokens: () => repo.listTokens(db.primary),
  }
}

export type AccessService = ReturnType<typeof createAccessService>

export function requireRole(principal: Principal, roles: readonly Role[]): void {
  if (!roles.includes(principal.role)) {
    throw forbidden('ACCESS_ROLE_FORBIDDEN', `This needs the role ${roles.join(' or ')}; the token has ${principal.role}.`)
  }
}

/** A token scoped to locations may act only there. */
export function requireLocation(principal: Principal, locationId: number): void {
  if (principal.locationIds !== null && !principal.locationIds.includes(locationId)) {
    throw forbidden('ACCESS_LOCATION_FORBIDDEN', `This token may not act on location ${locationId}.`, { locationId })
  }
}

export function unauthenticated(message: string): AppError {
  return new AppError('unauthenticated', 'ACCESS_UNAUTHENTICATED', message)
}
