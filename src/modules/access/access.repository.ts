import { sql } from 'kysely'
import type { Executor } from '../../infra/db/database.ts'
import type { Role } from './access.tables.ts'

export function insertToken(
  db: Executor,
  values: { name: string; role: Role; tokenHash: string; locationIds: number[] | null },
) {
  return db
    .insertInto('api_token')
    .values({ name: values.name, role: values.role, token_hash: values.tokenHash, location_ids: values.locationIds })
    .returning(['id', 'name', 'role', 'location_ids', 'created_at'])
    .executeTakeFirstOrThrow()
}

/** The active tokens among these hashes (unknown and revoked ones are left out). */
export function findActiveTokensByHash(db: Executor, tokenHashes: readonly string[]) {
  return db
    .selectFrom('api_token')
    .select(['id', 'token_hash', 'name', 'role', 'location_ids'])
    .where((eb) => eb('token_hash', '=', eb.fn.any(eb.val([...tokenHashes]))))
    .where('revoked_at', 'is', null)
    .execute()
}

/** The codes of a token's locations, in the order of its ids; null for a token of every location. */
const locationCodes = sql<string[] | null>`case when t.location_ids is null then null
  else array(select l.code from location l where l.id = any(t.location_ids) order by l.id) end`.as('location_codes')

/** Tokens in id order, after `after`; every token when no limit is given. Never the hashes. */
export function listTokens(db: Executor, page: { after?: number | undefined; limit?: number | undefined } = {}) {
  return db
    .selectFrom('api_token as t')
    .select(['t.id', 't.name', 't.role', 't.location_ids', locationCodes, 't.created_at', 't.revoked_at'])
    .where('t.id', '>', page.after ?? 0)
    .orderBy('t.id')
    .limit(page.limit ?? null)
    .execute()
}

/** Revokes a token; revoking it again keeps the first revocation time. Undefined: no such token. */
export function revokeToken(db: Executor, id: number) {
  return db
    .with('revoked', (qb) =>
      qb
        .updateTable('api_token')
        .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
        .where('id', '=', id)
        .returning(['id', 'token_hash', 'name', 'role', 'location_ids', 'created_at', 'revoked_at']),
    )
    .selectFrom('revoked as t')
    .select(['t.id', 't.token_hash', 't.name', 't.role', 't.location_ids', locationCodes, 't.created_at', 't.revoked_at'])
    .executeTakeFirst()
}

export function findLocationIdsByCode(db: Executor, codes: string[]) {
  return db.selectFrom('location').select(['id', 'code']).where('code', 'in', codes).execute()
}
