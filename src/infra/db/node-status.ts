/**
 * Each database node's state as operators see it (/health, /metrics, `brisk db status`): the
 * primary's, asked now, and the replicas', as this process's read router last saw them.
 */
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import type { Db } from './database.ts'
import type { NodeState, NodeStatus } from './read-router.ts'

/** read-only: it answers but refuses writes (a demoted primary, or one in recovery). */
export type PrimaryState = 'up' | 'down' | 'read-only'

export interface PrimaryCheck {
  state: PrimaryState
  /** how long the check took; null when it failed */
  latencyMs: number | null
  /** where it writes WAL, or what it has replayed when it is in recovery; null when down */
  walLsn: string | null
  error?: string
}

/** One statement, so a readiness probe costs what `select 1` did. */
const PRIMARY_SQL = sql<{ read_only: boolean; lsn: string | null }>`select
  current_setting('transaction_read_only') = 'on' as read_only,
  (case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end)::text as lsn`

export async function checkPrimary(db: Pick<Db, 'primary'>): Promise<PrimaryCheck> {
  const start = performance.now()
  try {
    const { rows } = await PRIMARY_SQL.execute(db.primary)
    const row = rows[0]!
    const latencyMs = Number((performance.now() - start).toFixed(2))
    return { state: row.read_only ? 'read-only' : 'up', latencyMs, walLsn: row.lsn }
  } catch (error) {
    return { state: 'down', latencyMs: null, walLsn: null, error: error instanceof Error ? error.message : String(error) }
  }
}

/** A replica's lag, or null for both while it is down (the figures of its last check are stale); lagMs null when unknown. */
export function replicaLag(node: Pick<NodeStatus, 'state' | 'lagBytes' | 'lagMs'>): { lagBytes: number | null; lagMs: number | null } {
  if (node.state === 'down') return { lagBytes: null, lagMs: null }
  // infinite: behind, with no commit replayed since it started (read-router.ts), so no time to tell
  return { lagBytes: node.lagBytes, lagMs: Number.isFinite(node.lagMs) ? Number(node.lagMs.toFixed(1)) : null }
}

/** Every state a replica can be in, for families that show each (a state series reading 0 is an answer too). */
export const REPLICA_STATES: readonly NodeState[] = Object.keys({ up: 0, down: 0, lagging: 0 } satisfies Record<NodeState, 0>) as NodeState[]
