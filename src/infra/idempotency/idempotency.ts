/**
 * Idempotency-Key handling for any write: a retry with the same key returns the first response
 * instead of writing again. The key is claimed first (unique per caller; a concurrent duplicate
 * waits on the claim until the first commits), and the response is stored in the same
 * transaction as the write, so a failed write leaves the key free for its retry.
 */
import { createHash } from 'node:crypto'
import type { RawBuilder, Transaction } from 'kysely'
import type { Database, Db, Executor } from '../db/database.ts'
import { conflict, invalid } from '../errors.ts'
import * as repo from './idempotency.repository.ts'

export const MAX_IDEMPOTENCY_KEY_LENGTH = 200

export interface WriteOptions {
  /** the Idempotency-Key of the request: a retry with the same key returns the first response */
  idempotencyKey?: string | undefined
}

export interface Replayable<T> {
  body: T
  /** true when this is the stored response of an earlier request with the same key */
  replayed: boolean
}

/** One write to make idempotent. */
export interface IdempotentWrite {
  /** whose keys these are: the same key of two callers is two keys */
  scope: string
  /** names the write (e.g. "submit invoice 12"): a key reused for another operation is refused */
  operation: string
  /** the request as sent: a key reused with a different request is refused */
  request: unknown
  options: WriteOptions
}

/**
 * A key this request holds. The work may store its response inside its own write statement
 * (`storeInStatement`); otherwise the writer stores the returned body after the work, in the
 * same transaction.
 */
export interface ClaimedKey {
  readonly id: number
  /** The CTE that stores `response` (with `patch` set in SQL) as part of the work's write statement. */
  storeInStatement(response: unknown, patch?: repo.ResponsePatch): RawBuilder<unknown>
}

/** What a one-statement write answers when the key was already claimed: the writer replays it. */
export const KEY_TAKEN = Symbol('the Idempotency-Key is taken')

/** A key a one-statement write claims inside itself (`claimCte`, a CTE named `claim`). */
export interface StatementClaim {
  claimCte(response: unknown, options?: { patch?: repo.ResponsePatch; when?: RawBuilder<boolean> }): RawBuilder<unknown>
}

export interface IdempotentWriter {
  /** Runs `work` in one transaction, always (writes of several statements, or that lock rows). */
  inTransaction<T>(write: IdempotentWrite, work: (trx: Transaction<Database>, key: ClaimedKey | null) => Promise<T>): Promise<Replayable<T>>
  /**
   * Runs `work` without a transaction when no key is given (a write that is one atomic statement),
   * in one with the key's claim and stored response otherwise.
   */
  inTransactionIfKeyed<T>(write: IdempotentWrite, work: (executor: Executor, key: ClaimedKey | null) => Promise<T>): Promise<Replayable<T>>
  /**
   * The stored response of an earlier request with the write's key (one statement), for a write
   * whose first success removed what a retry would start from (an order empties its cart).
   */
  findReplay<T>(write: IdempotentWrite): Promise<Replayable<T> | undefined>
  /**
   * For a write that is ONE statement: the key is claimed and its response stored inside that
   * statement (no transaction, no extra round trips). The work answers KEY_TAKEN when its claim
   * found the key held: the stored response is replayed (or a reuse refused).
   */
  inStatement<T>(write: IdempotentWrite, work: (claim: StatementClaim | null) => Promise<T | typeof KEY_TAKEN>): Promise<Replayable<T>>
}

/** Stable JSON: object keys sorted, so the same body always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** Claims the key and runs the work, or replays (or refuses) an earlier request's. */
async function claimAndRun<T>(
  options: WriterOptions,
  trx: Transaction<Database>,
  write: IdempotentWrite,
  key: string,
  work: (trx: Transaction<Database>, key: ClaimedKey) => Promise<T>,
): Promise<Replayable<T>> {
  const requestHash = hashOf(write)
  const { scope, operation } = write
  const { ttlHours } = options
  // a key older than the TTL counts as absent: this request takes its row over
  const claimed = await repo.claimUnexpiredIdempotencyKey(trx, { scope, key, operation, requestHash, ttlHours })
  if (claimed) {
    let stored = false
    const body = await work(trx, {
      id: claimed.id,
      storeInStatement(response, patch) {
        stored = true
        return repo.storeResponseCte(claimed.id, response, patch)
      },
    })
    if (!stored) await repo.storeResponse(trx, claimed.id, body)
    return { body, replayed: false }
  }
  const existing = await repo.findIdempotencyKey(trx, scope, key)
  const replay = replayOf<T>(options, existing, operation, requestHash)
  if (!replay) throw conflict(`${options.codePrefix}_IDEMPOTENCY_KEY_IN_USE`, 'A request with this Idempotency-Key is still being processed.')
  return replay
}

const hashOf = (write: IdempotentWrite) => createHash('sha256').update(`${write.operation}\n${canonicalJson(write.request)}`).digest('hex')

/** The stored response for the same request; undefined while none is stored; refused for another request. */
function replayOf<T>(
  options: WriterOptions,
  existing: Awaited<ReturnType<typeof repo.findIdempotencyKey>>,
  operation: string,
  requestHash: string,
): Replayable<T> | undefined {
  if (!existing || existing.response === null) return undefined
  if (existing.operation !== operation || existing.request_hash !== requestHash) {
    throw invalid(
      `${options.codePrefix}_IDEMPOTENCY_KEY_REUSED`,
      'This Idempotency-Key was already used for a different request; use a new key for a new request.',
      { operation: existing.operation },
    )
  }
  return { body: existing.response as T, replayed: true }
}

export interface WriterOptions {
  ttlHours: number
  /** the calling module's: errors are `SALES_IDEMPOTENCY_KEY_REUSED` and so on, the codes of the API a client called */
  codePrefix: string
}

export function createIdempotentWriter(db: Db, options: WriterOptions): IdempotentWriter {
  const { codePrefix } = options

  function keyOf(write: IdempotentWrite): string | undefined {
    const key = write.options.idempotencyKey
    if (key !== undefined && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
      throw invalid(
        `${codePrefix}_INVALID_IDEMPOTENCY_KEY`,
        `An Idempotency-Key has 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`,
      )
    }
    return key
  }

  async function findReplay<T>(write: IdempotentWrite): Promise<Replayable<T> | undefined> {
    const key = keyOf(write)
    if (key === undefined) return undefined
    const existing = await repo.findIdempotencyKey(db.primary, write.scope, key)
    return replayOf<T>(options, existing, write.operation, hashOf(write))
  }

  return {
    async inTransaction(write, work) {
      const key = keyOf(write)
      return db.primary.transaction().execute(async (trx) => {
        if (key === undefined) return { body: await work(trx, null), replayed: false }
        return claimAndRun(options, trx, write, key, work)
      })
    },
    findReplay,
    async inStatement<T>(write: IdempotentWrite, work: (claim: StatementClaim | null) => Promise<T | typeof KEY_TAKEN>) {
      const key = keyOf(write)
      const claim =
        key === undefined
          ? null
          : {
              claimCte: (response: unknown, cteOptions?: { patch?: repo.ResponsePatch; when?: RawBuilder<boolean> }) =>
                repo.claimWithResponseCte(
                  { scope: write.scope, key, operation: write.operation, requestHash: hashOf(write), ttlHours: options.ttlHours },
                  response,
                  cteOptions,
                ),
            }
      const body = await work(claim)
      if (body !== KEY_TAKEN) return { body, replayed: false }
      const replay = await findReplay<T>(write)
      if (!replay) throw conflict(`${codePrefix}_IDEMPOTENCY_KEY_IN_USE`, 'A request with this Idempotency-Key is still being processed.')
      return replay
    },
    async inTransactionIfKeyed(write, work) {
      const key = keyOf(write)
      if (key === undefined) return { body: await work(db.primary, null), replayed: false }
      return db.primary.transaction().execute((trx) => claimAndRun(options, trx, write, key, work))
    },
  }
}
