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

export function findActiveTokenByHash(db: Executor, tokenHash: string) {
  return db
    .selectFrom('api_token')
    .select(['id', 'name', 'role', 'location_ids'])
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
}

export function listTokens(db: Executor) {
  return db
    .selectFrom('api_token')
    .select(['id', 'name', 'role', 'location_ids', 'created_at', 'revoked_at'])
    .orderBy('id')
    .execute()
}

export function revokeToken(db: Executor, id: number) {
  return db
    .updateTable('api_token')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning('id')
    .executeTakeFirst()
}

export function findLocationIdsByCode(db: Executor, codes: string[]) {
  return db.selectFrom('location').select(['id', 'code']).where('code', 'in', codes).execute()
}
