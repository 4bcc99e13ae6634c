import type { FastifyRequest } from 'fastify'
import type { HttpServer } from '../../infra/http/server.ts'
import { type AccessService, type Principal, unauthenticated } from './access.service.ts'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
}

/**
 * Reads the bearer token of every request (if any) into `request.principal`. Routes that need a
 * caller use `principalOf(request)`, which refuses anonymous requests with 401.
 */
export function registerAuthentication(app: HttpServer, access: AccessService): void {
  app.decorateRequest('principal', null)
  app.addHook('preHandler', async (request) => {
    const header = request.headers.authorization
    if (!header) return
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    if (!match?.[1]) throw unauthenticated('The Authorization header must be "Bearer <token>".')
    const principal = await access.authenticate(match[1])
    if (!principal) throw unauthenticated('The token is unknown or revoked.')
    request.principal = principal
  })
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthenticated('This needs a token: send "Authorization: Bearer <token>".')
  return request.principal
}
