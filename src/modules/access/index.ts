export type { Role } from './access.tables.ts'
export { principalOf, registerAuthentication, registerTokenRoutes } from './access.routes.ts'
export {
  type AccessService,
  createAccessService,
  type CreatedToken,
  type CreateTokenInput,
  idempotencyScopeOf,
  issueToken,
  type Principal,
  ROLES,
  SYSTEM_PRINCIPAL,
  requireLocation,
  requireRole,
  type Token,
} from './access.service.ts'
export { TOKEN_CACHE_SECONDS } from './access.token-cache.ts'
