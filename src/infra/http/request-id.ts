import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const REQUEST_ID_HEADER = 'x-request-id'

/** Printable ASCII, 1 to 128 characters: safe to echo in a header and to write in a log line. */
const ACCEPTABLE_REQUEST_ID = /^[\x20-\x7e]{1,128}$/

/**
 * The id of a request (Fastify's genReqId): the caller's `x-request-id` when it is acceptable, so
 * one id follows a request through a proxy and its logs, else a new UUID.
 */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER]
  return typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}
