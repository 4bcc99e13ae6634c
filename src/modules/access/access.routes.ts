import type { FastifyRequest } from 'fastify'
import { errorResponses, IdParams } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import { CreatedToken, CreateTokenBody, Token, TokenPage, TokenQuery } from './access.schemas.ts'
import { type AccessService, type Principal, TOKEN_CACHE_SECONDS, unauthenticated } from './access.service.ts'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
}

export interface AuthenticationOptions {
  /** Bearer tokens another hook authenticates (shoppers' sessions): left alone here, the principal stays null. */
  leaveAlone?: (token: string) => boolean
}

/**
 * Reads the bearer token of every request (if any) into `request.principal`. Routes that need a
 * caller use `principalOf(request)`, which refuses anonymous requests with 401.
 */
export function registerAuthentication(app: HttpServer, access: AccessService, options: AuthenticationOptions = {}): void {
  const leaveAlone = options.leaveAlone ?? (() => false)
  app.decorateRequest('principal', null)
  // A callback hook answering at once for a token in memory: an async hook costs a promise and a
  // microtask hop on every request, a sizeable share of a cached read.
  app.addHook('preHandler', (request, _reply, done) => {
    const header = request.headers.authorization
    if (!header) return done()
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    if (!match?.[1]) return done(unauthenticated('The Authorization header must be "Bearer <token>".'))
    if (leaveAlone(match[1])) return done()
    const settle = (principal: Principal | null) => {
      if (!principal) return done(unauthenticated('The token is unknown or revoked.'))
      request.principal = principal
      done()
    }
    const known = access.authenticateFromMemory(match[1])
    if (known !== undefined) return settle(known)
    access.authenticate(match[1]).then(settle, done)
  })
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthenticated('This needs a token: send "Authorization: Bearer <token>".')
  return request.principal
}

const tags = ['access']
const ADMIN_ONLY = 'Needs an admin token for every location.'

export function registerTokenRoutes(app: HttpServer, access: AccessService): void {
  app.post(
    '/api/tokens',
    {
      schema: {
        tags,
        summary: 'Create an API token',
        description: `Answers the secret once, in this response; Brisk keeps only its SHA-256 hash. ${ADMIN_ONLY}`,
        body: CreateTokenBody,
        response: { 201: CreatedToken, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const created = await access.createToken(request.body, principalOf(request))
      return reply.status(201).header('cache-control', 'no-store').send(created)
    },
  )

  app.get(
    '/api/tokens',
    {
      schema: {
        tags,
        summary: 'List API tokens',
        description: `Active and revoked tokens in id order, never their secrets or hashes. ${ADMIN_ONLY}`,
        querystring: TokenQuery,
        response: { 200: TokenPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => access.listTokenPage(principalOf(request), request.query),
  )

  app.post(
    '/api/tokens/:id/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke an API token',
        description:
          'The token is refused from its next request on by this server, by every Brisk process sharing its Redis ' +
          `within the invalidation bus's latency (milliseconds), and within ${TOKEN_CACHE_SECONDS} s by one without Redis ` +
          `(each caches a looked-up token that long). Revoking a revoked token changes nothing; a token cannot revoke itself (409). ${ADMIN_ONLY}`,
        params: IdParams,
        response: { 200: Token, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => access.revokeToken(request.params.id, principalOf(request)),
  )
}
