import { createHash, randomBytes } from 'node:crypto'
import { type Cache, memoryOnlyCache } from '../../infra/cache/cache.ts'
import { CACHE_KINDS } from '../../infra/cache/cache-keys.ts'
import { cacheReads } from '../../infra/cache/caches-of-database.ts'
import type { Db, Executor } from '../../infra/db/database.ts'
import { AppError, conflict, forbidden, invalid, notFound } from '../../infra/errors.ts'
import * as repo from './access.repository.ts'
import type { Role } from './access.tables.ts'

export const ROLES: readonly Role[] = ['admin', 'manager', 'cashier']

/**
 * The longest another process may still accept a revoked token when no Redis bus told it (the CLI
 * on its own, a process without Redis, SQL run by hand): the token kind's TTL in cache-keys.ts.
 * With Redis every process drops it within the bus latency.
 */
export const TOKEN_CACHE_SECONDS = CACHE_KINDS.token.ttlMs / 1000
export const TOKEN_NAME_MAX_LENGTH = 100

declare module '../../infra/cache/cache-keys.ts' {
  interface CachedValues {
    token: Principal
  }
}

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

/** A token as listed: never its secret or hash. */
export interface Token {
  id: number
  name: string
  role: Role
  /** location codes, in the order of `locationIds`; null: every location */
  locations: string[] | null
  locationIds: number[] | null
  createdAt: string
  revokedAt: string | null
}

/** A new token with its secret, which is shown this once and stored only as a hash. */
export interface CreatedToken extends Token {
  token: string
}

/** Brisk acting on its own behalf from the CLI: every role, every location. */
export const SYSTEM_PRINCIPAL: Principal = Object.freeze({ tokenId: null, name: 'system', role: 'admin', locationIds: null })

/** Whose Idempotency-Keys a caller's are: the same key sent with two tokens is two keys. */
export function idempotencyScopeOf(principal: Principal): string {
  return principal.tokenId === null ? 'system' : `token:${principal.tokenId}`
}

const TOKEN_PREFIX = 'brisk_'

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Hashes of the tokens seen lately: a till sends its token with every request. */
const recentHashes = new Map<string, string>()
const RECENT_HASHES_MAX = 10_000

function hashOfSeen(token: string): string {
  let hash = recentHashes.get(token)
  if (hash === undefined) {
    if (recentHashes.size >= RECENT_HASHES_MAX) recentHashes.clear()
    hash = hashToken(token)
    recentHashes.set(token, hash)
  }
  return hash
}

function toToken(row: {
  id: number
  name: string
  role: Role
  location_ids: number[] | null
  location_codes?: string[] | null
  created_at: Date
  revoked_at?: Date | null
}): Token {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    locations: row.location_codes ?? null,
    locationIds: row.location_ids,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
  }
}

/**
 * Creates a token with the caller's executor, so it can join a transaction (the demo seed). The
 * secret is returned once; only its SHA-256 hash is stored.
 */
export async function issueToken(db: Executor, input: CreateTokenInput): Promise<CreatedToken> {
  if (!ROLES.includes(input.role)) throw invalid('ACCESS_INVALID_ROLE', `Role must be one of ${ROLES.join(', ')}`)
  const name = input.name.trim()
  if (!name) throw invalid('ACCESS_INVALID_NAME', 'A token needs a name')
  if (name.length > TOKEN_NAME_MAX_LENGTH) {
    throw invalid('ACCESS_INVALID_NAME', `A token name has at most ${TOKEN_NAME_MAX_LENGTH} characters`)
  }
  let locations: { id: number; code: string }[] | null = null
  const codes = [...new Set(input.locations ?? [])]
  if (codes.length > 0) {
    const found = await repo.findLocationIdsByCode(db, codes)
    const unknown = codes.filter((code) => !found.some((row) => row.code === code))
    if (unknown.length > 0) throw invalid('ACCESS_UNKNOWN_LOCATION', `Unknown location: ${unknown.join(', ')}`, { unknown })
    locations = found.sort((a, b) => a.id - b.id)
  }
  const token = TOKEN_PREFIX + randomBytes(24).toString('base64url')
  const locationIds = locations?.map((l) => l.id) ?? null
  const row = await repo.insertToken(db, { name, role: input.role, tokenHash: hashToken(token), locationIds })
  return { ...toToken({ ...row, location_codes: locations?.map((l) => l.code) ?? null }), token }
}

/**
 * Tokens are keys to the whole shop: only an admin for every location manages them, so a token
 * limited to some locations cannot mint one that is not.
 */
function requireTokenAdmin(principal: Principal): void {
  requireRole(principal, ['admin'])
  if (principal.locationIds !== null) {
    throw forbidden('ACCESS_LOCATION_FORBIDDEN', 'Managing tokens needs an admin token for every location; this one is limited.')
  }
}

/** `cache`: the app's; a service built on its own (tests, scripts) gets a memory tier of its own. */
export function createAccessService(db: Db, cache: Cache = memoryOnlyCache()) {
  cacheReads(db, cache)
  // Read from the primary: a replica that lags would keep a revoked token alive.
  cache.register('token', {
    async load(hashes) {
      const rows = await repo.findActiveTokensByHash(db.primary, hashes.map(String))
      return new Map(
        rows.map((row) => [row.token_hash, { tokenId: row.id, name: row.name, role: row.role, locationIds: row.location_ids }]),
      )
    },
    notFound: () => unauthenticated('Unknown or revoked token.'),
  })

  /** The caller a bearer token names; null when it is unknown or revoked (see TOKEN_CACHE_SECONDS for how soon). */
  async function authenticate(token: string): Promise<Principal | null> {
    if (!token.startsWith(TOKEN_PREFIX)) return null
    return (await cache.findCachedDoc('token', hashOfSeen(token))) ?? null
  }

  /** authenticate's answer when the request tier or memory knows the token; undefined when it must be looked up. */
  function authenticateFromMemory(token: string): Principal | null | undefined {
    if (!token.startsWith(TOKEN_PREFIX)) return null
    return cache.peekCachedDoc('token', hashOfSeen(token))
  }

  /** `by` is the calling admin over HTTP; from the CLI it is Brisk itself. */
  async function createToken(input: CreateTokenInput, by: Principal = SYSTEM_PRINCIPAL): Promise<CreatedToken> {
    requireTokenAdmin(by)
    return issueToken(db.primary, input)
  }

  async function listTokenPage(by: Principal, page: { after?: number | undefined; limit?: number | undefined }) {
    requireTokenAdmin(by)
    const limit = page.limit ?? 50
    const rows = await repo.listTokens(db.primary, { after: page.after, limit })
    return {
      items: rows.map(toToken),
      nextAfter: rows.length === limit ? (rows[rows.length - 1]?.id ?? null) : null,
    }
  }

  /**
   * Revoking is idempotent. After the commit the token is evicted from every tier: refused by this
   * process at once, by every process sharing Redis within the bus latency, and by one without
   * Redis within TOKEN_CACHE_SECONDS.
   */
  async function revokeToken(id: number, by: Principal = SYSTEM_PRINCIPAL): Promise<Token> {
    requireTokenAdmin(by)
    if (by.tokenId === id) {
      const message = 'A token cannot revoke itself: revoke it with another admin token, or with `brisk token revoke`.'
      throw conflict('ACCESS_OWN_TOKEN', message)
    }
    const row = await repo.revokeToken(db.primary, id)
    if (!row) throw notFound('ACCESS_TOKEN_NOT_FOUND', `No token with id ${id}`)
    await cache.evict('token', [row.token_hash])
    return toToken(row)
  }

  return {
    createToken,
    authenticate,
    authenticateFromMemory,
    listTokenPage,
    revokeToken,
    /** Every token, as stored rows without hashes (the CLI's listing). */
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
