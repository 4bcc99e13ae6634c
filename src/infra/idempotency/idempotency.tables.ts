import type { ColumnType, Generated } from 'kysely'

/** One claimed Idempotency-Key: unique per (scope, key); `response` is null until the write commits. */
export interface IdempotencyKeyTable {
  id: Generated<number>
  scope: string
  key: string
  operation: string
  request_hash: string
  response: unknown
  created_at: ColumnType<Date, Date | string | undefined, never>
}

export interface IdempotencyTables {
  idempotency_key: IdempotencyKeyTable
}
