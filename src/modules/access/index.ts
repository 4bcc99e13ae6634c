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
  TOKEN_CACHE_SECONDS,
  type Token,
} from './access.service.ts'
