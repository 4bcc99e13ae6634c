import { type RawBuilder, sql } from 'kysely'
import type { Executor } from '../db/database.ts'

/** The name of the CTE `storeResponseCte` adds to a write statement. */
export const STORED_RESPONSE_CTE = 'idempotent_response'

/** A value of the stored response that only the write statement knows, such as a new row's id. */
export interface ResponsePatch {
  /** where in the response, as a PostgreSQL text path such as '{return,id}' */
  path: string
  value: RawBuilder<unknown>
}

/** A CTE that stores `response` for key `id`, so a write statement stores its own response. */
export function storeResponseCte(id: number, response: unknown, patch?: ResponsePatch): RawBuilder<unknown> {
  const json = sql`${JSON.stringify(response)}::jsonb`
  const value = patch ? sql`jsonb_set(${json}, ${sql.lit(patch.path)}, to_jsonb(${patch.value}))` : json
  return sql`${sql.raw(STORED_RESPONSE_CTE)} as (
      -- what a retry with the same Idempotency-Key gets back, committed with the write itself
      update idempotency_key set response = ${value} where id = ${id}
    )`
}

/**
 * The CTE `claim` that claims a key and stores its response in one go, as part of a write that is
 * ONE statement (no transaction around it): a row inserted with its response, or an expired key's
 * row taken over; nothing when someone holds the key (a concurrent insert of the same key waits
 * for the first to commit, then finds it). `when` gates it on the rest of the statement.
 */
export function claimWithResponseCte(
  claim: { scope: string; key: string; operation: string; requestHash: string; ttlHours: number },
  response: unknown,
  options: { patch?: ResponsePatch; when?: RawBuilder<boolean> } = {},
): RawBuilder<unknown> {
  const json = sql`${JSON.stringify(response)}::jsonb`
  const value = options.patch ? sql`jsonb_set(${json}, ${sql.lit(options.patch.path)}, to_jsonb(${options.patch.value}))` : json
  return sql`claim as (
      -- the Idempotency-Key with the response a retry gets, committed with the write itself
      insert into idempotency_key as k (scope, key, operation, request_hash, response)
      select ${claim.scope}, ${claim.key}, ${claim.operation}, ${claim.requestHash}, ${value}
      where ${options.when ?? sql`true`}
      on conflict (scope, key) do update
      set operation = excluded.operation, request_hash = excluded.request_hash, response = excluded.response, created_at = now()
      where k.created_at < now() - make_interval(hours => ${claim.ttlHours}::integer)
      returning k.id
    )`
}

export async function storeResponse(db: Executor, id: number, response: unknown): Promise<void> {
  await db.updateTable('idempotency_key').set({ response: JSON.stringify(response) }).where('id', '=', id).execute()
}

export function findIdempotencyKey(db: Executor, scope: string, key: string) {
  return db
    .selectFrom('idempotency_key')
    .select(['id', 'operation', 'request_hash', 'response'])
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirst()
}

/**
 * Claims a key for this request; undefined when someone already holds it (their row is
 * committed). A key older than `ttlHours` (by the database's clock, which also wrote created_at)
 * counts as absent: its row is taken over for this request. A concurrent claim
 * of the same expired key waits on the row lock and then sees the renewed, fresh row.
 */
export async function claimUnexpiredIdempotencyKey(
  db: Executor,
  values: { scope: string; key: string; operation: string; requestHash: string; ttlHours: number },
): Promise<{ id: number } | undefined> {
  const { rows } = await sql<{ id: number }>`
    insert into idempotency_key (scope, key, operation, request_hash)
    values (${values.scope}, ${values.key}, ${values.operation}, ${values.requestHash})
    on conflict (scope, key) do update
    set operation = excluded.operation, request_hash = excluded.request_hash, response = null, created_at = now()
    where idempotency_key.created_at < now() - make_interval(hours => ${values.ttlHours}::integer)
    returning id`.execute(db)
  return rows[0]
}

/**
 * Deletes up to `batchSize` idempotency keys created before `olderThan`; returns how many. The
 * outer `created_at` test is re-checked on a row that changed while the delete waited for its
 * lock, so a key renewed meanwhile (created_at moved to now) is left alone.
 */
export async function deleteExpiredIdempotencyKeys(db: Executor, olderThan: Date, batchSize: number): Promise<number> {
  const result = await sql`
    delete from idempotency_key
    where id in (select id from idempotency_key where created_at < ${olderThan} order by id limit ${batchSize})
      and created_at < ${olderThan}`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}
