/** Who a token is, cached in this process for a bounded time so that a revocation elsewhere bites in time. */
import { newQueryStats, runWithQueryStats } from '../../infra/db/query-stats.ts'
import type { Principal } from './access.service.ts'

/**
 * Seconds a looked-up token may be answered from this process's cache. A revocation made here
 * bites at once; one made by another process (the CLI, another server) at most this long after it
 * commits: an entry expires this long after the lookup that read it began, and nothing extends it.
 */
export const TOKEN_CACHE_SECONDS = 2
const EXPIRE_MS = TOKEN_CACHE_SECONDS * 1000
/** A token in use is looked up again in the background after this, so its requests do not wait for the lookup. */
const REFRESH_MS = EXPIRE_MS / 2
const MAX_ENTRIES = 10_000

interface Entry {
  principal: Principal | null
  refreshAt: number
  expiresAt: number
}

export interface TokenCacheOptions {
  /** the clock, for tests */
  now?: () => number
}

/** `read` looks a token hash up in the database: its principal, or null when it is unknown or revoked. */
export function createTokenCache(read: (hash: string) => Promise<Principal | null>, options: TokenCacheOptions = {}) {
  const now = options.now ?? Date.now
  const entries = new Map<string, Entry>()
  /** Lookups under way: concurrent requests with one token wait for one query. */
  const pending = new Map<string, { generation: number; lookup: Promise<Principal | null> }>()
  /** Bumped by every revocation here: a lookup it overtook must not cache what it read, nor be joined. */
  let generation = 0

  async function load(hash: string): Promise<Principal | null> {
    const startedAt = now()
    const seen = generation
    const principal = await read(hash)
    if (seen === generation) {
      if (entries.size >= MAX_ENTRIES) entries.clear()
      entries.set(hash, { principal, refreshAt: startedAt + REFRESH_MS, expiresAt: startedAt + EXPIRE_MS })
    }
    return principal
  }

  function loadOnce(hash: string): Promise<Principal | null> {
    const inFlight = pending.get(hash)
    if (inFlight?.generation === generation) return inFlight.lookup
    const lookup = load(hash).finally(() => {
      if (pending.get(hash)?.lookup === lookup) pending.delete(hash)
    })
    pending.set(hash, { generation, lookup })
    return lookup
  }

  function get(hash: string): Promise<Principal | null> {
    const entry = entries.get(hash)
    const at = now()
    if (!entry || entry.expiresAt <= at) return loadOnce(hash)
    if (entry.principal && entry.refreshAt <= at && !pending.has(hash)) {
      // Counted apart from the request that happened to start it, which does not wait for it. A failure
      // is left to the next lookup that a request waits for, once this entry has expired.
      runWithQueryStats(newQueryStats(), () => loadOnce(hash)).catch(() => {})
    }
    return Promise.resolve(entry.principal)
  }

  /** After a revocation committed by this process: the token is refused from the next request on. */
  function forget(tokenId: number): void {
    generation++
    for (const [hash, entry] of entries) {
      if (entry.principal?.tokenId === tokenId) entries.delete(hash)
    }
  }

  return { get, forget }
}
