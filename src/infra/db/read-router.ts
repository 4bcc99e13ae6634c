/**
 * Where `db.reader` sends a read: a healthy replica in turn, another one when it fails, the primary
 * when none is left — so a replica going away costs a read one retry, never an error page or a
 * hang (seed 001's failover, done here instead of monkey-patched into an ORM).
 *
 * A replica is marked down on its first failure that says the node is unreachable (refused, reset,
 * no answer within the connect or query timeout) and gets no traffic until a background probe,
 * backing off from PROBE_MIN_MS to PROBE_MAX_MS, finds it answering again. Only reads come here
 * (never a transaction), so a read that failed on one node is simply run again on the next.
 *
 * With `lag` options a monitor compares each replica's replayed WAL with the primary's every
 * `intervalMs`: a replica further behind than `maxLagMs` is skipped until it catches up (if every
 * replica lags, the primary serves). Lag in time is how long the oldest commit it has not replayed
 * yet has been waiting, so an idle primary never makes a replica look behind.
 *
 * Groundwork for issue 12: read-your-writes and the wiring into openDatabase come next.
 */
import type { PostgresPool, PostgresPoolClient } from 'kysely'
import { isDatabaseUnavailable } from './outage.ts'

const PROBE_MIN_MS = 250
const PROBE_MAX_MS = 5000

type ReadClient = PostgresPoolClient & { release(error?: Error): void }

interface Source {
  connect(): Promise<PostgresPoolClient>
}

export interface ReplicaNode {
  /** for logs and metrics: replica-1, replica-2, … */
  readonly name: string
  readonly pool: PostgresPool & { query(sql: string, values?: unknown[]): Promise<{ rows: unknown[] }> }
}

export type NodeState = 'up' | 'down' | 'lagging'

export interface LagOptions {
  /** the primary, asked for its WAL position */
  primary: { query(sql: string): Promise<{ rows: unknown[] }> }
  maxLagMs: number
  intervalMs: number
}

/** What a replica answers about itself, given the primary's WAL position ($1). */
const REPLICA_LAG_SQL = `select pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::float8 as bytes,
  case when pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()) <= 0 then 0
    else greatest(0, extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000) end::float8 as ms`

interface NodeHealth {
  readonly node: ReplicaNode
  state: NodeState
  probeDelayMs: number
  probe: NodeJS.Timeout | undefined
  reads: number
  failures: number
  lagBytes: number
  lagMs: number
}

export interface RouterLog {
  warn(fields: object, message: string): void
  info(fields: object, message: string): void
}

export class ReadRouter implements PostgresPool {
  readonly #nodes: NodeHealth[]
  readonly #primary: Source
  readonly #log: RouterLog
  #next = 0
  #primaryReads = 0
  #closed = false
  #monitor: NodeJS.Timeout | undefined

  constructor(replicas: readonly ReplicaNode[], primary: Source, log: RouterLog, lag?: LagOptions) {
    this.#nodes = replicas.map((node) => ({
      node,
      state: 'up',
      probeDelayMs: PROBE_MIN_MS,
      probe: undefined,
      reads: 0,
      failures: 0,
      lagBytes: 0,
      lagMs: 0,
    }))
    this.#primary = primary
    this.#log = log
    if (lag) this.#scheduleLagCheck(lag)
  }

  #scheduleLagCheck(lag: LagOptions): void {
    this.#monitor = setTimeout(() => {
      this.#checkLag(lag).finally(() => {
        if (!this.#closed) this.#scheduleLagCheck(lag)
      })
    }, lag.intervalMs)
    this.#monitor.unref()
  }

  /** One round of the monitor: the primary's position, then every replica that is not down. */
  async #checkLag(lag: LagOptions): Promise<void> {
    let position: string
    try {
      const { rows } = await lag.primary.query('select pg_current_wal_lsn()::text as lsn')
      position = (rows[0] as { lsn: string }).lsn
    } catch {
      return // the primary's own trouble is the primary's circuit's business
    }
    await Promise.all(
      this.#nodes
        .filter((health) => health.state !== 'down')
        .map(async (health) => {
          try {
            const { rows } = await health.node.pool.query(REPLICA_LAG_SQL, [position])
            const { bytes, ms } = rows[0] as { bytes: number; ms: number }
            health.lagBytes = Math.max(0, bytes)
            health.lagMs = ms
            const behind = ms > lag.maxLagMs
            if (behind && health.state === 'up') {
              health.state = 'lagging'
              this.#log.warn({ node: health.node.name, lagMs: Math.round(ms), lagBytes: bytes }, 'replica lags: its reads go elsewhere')
            } else if (!behind && health.state === 'lagging') {
              health.state = 'up'
              this.#log.info({ node: health.node.name }, 'replica caught up: it serves reads')
            }
          } catch (error) {
            if (isDatabaseUnavailable(error)) this.#markDown(health, error)
          }
        }),
    )
  }

  /** A connection for one read: the next healthy replica's, or the primary's when none answers. */
  async connect(): Promise<PostgresPoolClient> {
    return this.#connectAvoiding(new Set())
  }

  async #connectAvoiding(tried: Set<NodeHealth>): Promise<ReadClient> {
    for (let candidate = this.#pick(tried); candidate !== undefined; candidate = this.#pick(tried)) {
      tried.add(candidate)
      try {
        const client = (await candidate.node.pool.connect()) as ReadClient
        return this.#routed(client, candidate, tried)
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error
        this.#markDown(candidate, error)
      }
    }
    this.#primaryReads++
    return (await this.#primary.connect()) as ReadClient
  }

  /** The next replica that is up and not tried yet, in turn. */
  #pick(tried: Set<NodeHealth>): NodeHealth | undefined {
    const count = this.#nodes.length
    for (let i = 0; i < count; i++) {
      const health = this.#nodes[(this.#next + i) % count]!
      if (health.state === 'up' && !tried.has(health)) {
        this.#next = (this.#next + i + 1) % count
        return health
      }
    }
    return undefined
  }

  /** A replica's client whose failed read, if the node is what failed, runs again elsewhere. */
  #routed(client: ReadClient, health: NodeHealth, tried: Set<NodeHealth>): ReadClient {
    let current = client
    const query = async (sql: unknown, parameters: readonly unknown[]) => {
      if (typeof sql !== 'string') throw new Error('streamed reads are not routed to replicas: stream from db.primary')
      try {
        const result = await current.query(sql, parameters)
        health.reads++
        return result
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error
        this.#markDown(health, error)
        current.release(error as Error)
        current = await this.#connectAvoiding(tried)
        return current.query(sql, parameters)
      }
    }
    return { query, release: (error?: Error) => current.release(error) } as ReadClient
  }

  #markDown(health: NodeHealth, error: unknown): void {
    health.failures++
    if (health.state === 'down' || this.#closed) return
    health.state = 'down'
    health.probeDelayMs = PROBE_MIN_MS
    const reason = error instanceof Error ? error.message : String(error)
    this.#log.warn({ node: health.node.name, reason }, 'replica unreachable: its reads go to the other nodes until it answers again')
    this.#scheduleProbe(health)
  }

  #scheduleProbe(health: NodeHealth): void {
    health.probe = setTimeout(() => void this.#probe(health), health.probeDelayMs)
    health.probe.unref()
  }

  async #probe(health: NodeHealth): Promise<void> {
    if (this.#closed) return
    try {
      await health.node.pool.query('select 1')
    } catch {
      health.probeDelayMs = Math.min(health.probeDelayMs * 2, PROBE_MAX_MS)
      if (!this.#closed) this.#scheduleProbe(health)
      return
    }
    health.state = 'up'
    health.probe = undefined
    this.#log.info({ node: health.node.name }, 'replica answers again: it serves reads')
  }

  /** Each replica's state and the reads it served, and the reads the primary took for them. */
  status(): {
    nodes: { name: string; state: NodeState; reads: number; failures: number; lagBytes: number; lagMs: number }[]
    primaryReads: number
  } {
    return {
      nodes: this.#nodes.map((h) => ({
        name: h.node.name,
        state: h.state,
        reads: h.reads,
        failures: h.failures,
        lagBytes: h.lagBytes,
        lagMs: h.lagMs,
      })),
      primaryReads: this.#primaryReads,
    }
  }

  /** Kysely's PostgresDialect ends its pool when the reader is destroyed: the replicas' pools (the primary's is the primary's). */
  end(): Promise<void> {
    return this.close()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#monitor)
    for (const health of this.#nodes) clearTimeout(health.probe)
    await Promise.all(this.#nodes.map((h) => h.node.pool.end()))
  }
}
