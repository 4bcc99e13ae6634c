import type { FastifyReply, FastifyRequest } from 'fastify'
import { type TSchema, Type } from 'typebox'
import { Text } from './schemas.ts'

/**
 * `Prefer: return=minimal` (RFC 7240): a client that does not need the whole resource back (a till
 * after a sale) asks for a short answer. The short answer has a media type of its own, so each body
 * has its own compiled serializer and its own schema in the OpenAPI document.
 */
export const MINIMAL_MEDIA_TYPE = 'application/vnd.brisk.minimal+json'

const RETURN_MINIMAL = /(?:^|,)\s*return\s*=\s*"?minimal"?\s*(?:[;,]|$)/i

/** The `prefer` property of a route's header schema. */
export const PreferHeader = Type.Optional(
  Text({ description: '`return=minimal` for a short answer instead of the whole resource', examples: ['return=minimal'] }),
)

/** A response: the full resource as JSON, or the short answer under MINIMAL_MEDIA_TYPE. */
export function fullOrMinimal<Full extends TSchema, Minimal extends TSchema>(full: Full, minimal: Minimal) {
  return { content: { 'application/json': { schema: full }, [MINIMAL_MEDIA_TYPE]: { schema: minimal } } }
}

/** True when the request asked for `return=minimal`; the reply is then marked as the short answer. */
export function answerMinimal(request: FastifyRequest, reply: FastifyReply): boolean {
  const prefer = request.headers.prefer
  if (!RETURN_MINIMAL.test(Array.isArray(prefer) ? prefer.join(',') : (prefer ?? ''))) return false
  reply.type(MINIMAL_MEDIA_TYPE).header('preference-applied', 'return=minimal')
  return true
}
