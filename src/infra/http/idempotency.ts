import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { MAX_IDEMPOTENCY_KEY_LENGTH, type Replayable, type WriteOptions } from '../idempotency/idempotency.ts'
import { Text } from './schemas.ts'

/** The header schema of every idempotent write route. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Text({
      minLength: 1,
      maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
      description: 'A retry with the same key returns the first response instead of writing again',
    }),
  ),
})

export const IDEMPOTENT_DESCRIPTION =
  'Send an `Idempotency-Key` header to make retries safe: a repeat returns the first response.'

export const writeOptionsOf = (headers: { 'idempotency-key'?: string | undefined }): WriteOptions => ({
  idempotencyKey: headers['idempotency-key'],
})

/** Sends a write's result; a replayed response says so in a header. */
export function sendWrite<T>(reply: FastifyReply, status: number, result: Replayable<T>): T {
  reply.status(status)
  if (result.replayed) reply.header('idempotent-replayed', 'true')
  return result.body
}
