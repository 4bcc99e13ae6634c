export type { Role } from './access.tables.ts'
export { principalOf, registerAuthentication } from './access.routes.ts'
export {
  type AccessService,
  createAccessService,
  type CreateTokenInput,
  idempotencyScopeOf,
  type Principal,
  ROLES,
  SYSTEM_PRINCIPAL,
  requireLocation,
  requireRole,
} from './access.service.ts'
