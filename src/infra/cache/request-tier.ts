/**
 * The request tier: what one HTTP request (or one CLI operation) has read, so the same document
 * read twice in it is one lookup, and the request sees one version of it even if it is evicted
 * meanwhile. Its scope is the one the HTTP server and the CLI already open to count statements
 * (infra/db/query-stats): one AsyncLocalStorage per request rather than two, and nothing allocated
 * for a request that reads nothing cached.
 */
import { currentQueryStats, type QueryStats } from '../db/query-stats.ts'

const tiers = new WeakMap<QueryStats, Map<string, unknown>>()

/** The current request's tier, created on first use; undefined outside a request or CLI operation. */
export function requestTier(): Map<string, unknown> | undefined {
  const scope = currentQueryStats()
  if (scope === undefined) return undefined
  let tier = tiers.get(scope)
  if (tier === undefined) {
    tier = new Map()
    tiers.set(scope, tier)
  }
  return tier
}

/** The current request's tier if it has one already. */
export function existingRequestTier(): Map<string, unknown> | undefined {
  const scope = currentQueryStats()
  return scope === undefined ? undefined : tiers.get(scope)
}
