/**
 * Where `db.reader` sends a read: a healthy replica in turn, another one when it fails, the primary
 * when none is left — so a replica going away costs a read one retry, never an error page or a
 * hang (seed 001's failover, done here instead of monkey-patched into an ORM).
 *
 * A replica is marked down on its first failure that says the node is unreachable (refused, reset,
 * no answer within the connect or query timeout) and gets no traffic until a background probe,
 * backing off from PROBE_MIN_MS to PROBE_MAX_MS, finds it answering and caught up. Only reads come
 * here (never a transaction), so a read that failed on one node is simply run again on the next.
 *
 * A monitor compares each replica's replayed WAL with the primary's every `checkIntervalMs`: a
 * replica further behind than `maxLagMs` is skipped until it catches up (if every replica lags,
 * the primary serves). Lag in time is how long the oldest commit it has not replayed yet has been
 * waiting, so an idle primary never makes a replica look behind.
 *
 * Read-your-writes: a request may carry a floor (see read-floor.ts), the primary's WAL position
 * after its client's last write. Only a replica the monitor has seen replay past it serves that
 * request — each replica is checked, not "one has caught up" — else the primary does.
 */
import type { PostgresPool, PostgresPoolClient } from 'kysely'
import { isDatabaseUnavailable } from './outage.ts'
import { currentQueryStats, type QueryStats } from './query-stats.ts'
import { currentReadFloor, formatLsn, parseLsn, PRIMARY_ONLY } from './read-floor.ts'

const PROBE_MIN_MS = 250
/** A replica back from a crash serves again within about this long (plus one lag check). */
const PROBE_MAX_MS = 1000

type ReadClient = PostgresPoolClient & { release(error?: Error): void }

type Queryable = { query(sql: string, values?: unknown[]): Promise<{ rows: unknown[] }> }

/** A replica's pool also takes a query with its own timeout (pg's query config). */
type ReplicaQueryable = Queryable & {
  query(config: { text: string; values?: unknown[]; query_timeout?: number }): Promise<{ rows: unknown[] }>
}

export interface ReplicaNode {
  /** for logs and metrics: replica-1, replica-2, … */
  readonly name: string
  /** host:port/database, never a password */
  readonly address?: string
  readonly pool: PostgresPool & ReplicaQueryable & { end(): Promise<void> }
}

export type NodeState = 'up' | 'down' | 'lagging'

/** Why a read went to the primary instead of a replica. */
export type PrimaryReadReason = 'replicas_down' | 'replicas_lagging' | 'read_your_writes' | 'fresh_required'

export interface RouterOptions {
  replicas: readonly ReplicaNode[]
  /** where reads go when no replica may serve them; asked for its WAL position by the monitor */
  primary: { connect(): Promise<PostgresPoolClient> } & Queryable
  log: RouterLog
  /** a replica further behind than this is skipped; 0 turns the monitor off (tests of failover alone) */
  maxLagMs: number
  checkIntervalMs: number
}

export interface RouterLog {
  warn(fields: object, message: string): void
  info(fields: object, message: string): void
}

/**
 * What a replica answers about itself, given the primary's WAL position ($1). Behind it with no
 * commit replayed since it started, its lag in time is unknown (null): it counts as lagging.
 */
const REPLICA_LAG_SQL = `select pg_last_wal_replay_lsn()::text as replayed,
  pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::float8 as bytes,
  case when pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()) <= 0 then 0
    else greatest(0, extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000) end::float8 as ms`

/** A lag check not answered by then benches the replica: a stopped server is found within about a second. */
const LAG_CHECK_TIMEOUT_MS = 1000

interface NodeHealth {
  readonly node: ReplicaNode
  state: NodeState
  probeDelayMs: number
  probe: NodeJS.Timeout | undefined
  reads: number
  failures: number
  lagBytes: number
  lagMs: number
  /** the WAL position it had replayed at the last check; -1 before one (or when it is no replica) */
  replayed: bigint
}

export interface NodeStatus {
  name: string
  address: string | undefined
  state: NodeState
  /** reads it served */
  reads: number
  /** times it failed and was benched */
  failures: number
  lagBytes: number
  lagMs: number
  replayedLsn: string | undefined
}

export interface RouterStatus {
  nodes: NodeStatus[]
  /** reads the primary took for the replicas, by reason */
  primaryReads: Record<PrimaryReadReason, number>
  /** reads that failed on a replica and were run again elsewhere */
  failovers: number
  maxLagMs: number
}

export class ReadRouter implements PostgresPool {
  readonly #nodes: NodeHealth[]
  readonly #options: RouterOptions
  readonly #primaryReads: Record<PrimaryReadReason, number> = {
    replicas_down: 0,
    replicas_lagging: 0,
    read_your_writes: 0,
    fresh_required: 0,
  }
  #next = 0
  #failovers = 0
  #closed = false
  #monitor: NodeJS.Timeout | undefined

  constructor(options: RouterOptions) {
    this.#options = options
    this.#nodes = options.replicas.map((node) => ({
      node,
      state: 'up',
      probeDelayMs: PROBE_MIN_MS,
      probe: undefined,
      reads: 0,
      failures: 0,
      lagBytes: 0,
      lagMs: 0,
      replayed: -1n,
    }))
    if (options.maxLagMs > 0) this.#scheduleLagCheck()
  }

  #scheduleLagCheck(): void {
    this.#monitor = setTimeout(() => {
      this.checkLag().finally(() => {
        if (!this.#closed) this.#scheduleLagCheck()
      })
    }, this.#options.checkIntervalMs)
    this.#monitor.unref()
  }

  /** One round of the monitor: the primary's position, then every replica that is not down. */
  async checkLag(): Promise<void> {
    const position = await this.#primaryPosition()
    if (position === undefined) return // the primary's own trouble is the primary's circuit's business
    const measured = this.#nodes.filter((health) => health.state !== 'down')
    await Promise.all(
      measured.map(async (health) => {
        const failure = await this.#measure(health, position)
        if (failure !== undefined && isDatabaseUnavailable(failure)) this.#markDown(health, failure)
      }),
    )
  }

  async #primaryPosition(): Promise<string | undefined> {
    try {
      const { rows } = await this.#options.primary.query('select pg_current_wal_lsn()::text as lsn')
      return (rows[0] as { lsn: string }).lsn
    } catch {
      return undefined
    }
  }

  /** Measures one replica's lag and sets it up or lagging accordingly; answers the error when it failed. */
  async #measure(health: NodeHealth, position: string): Promise<unknown> {
    let row: { replayed: string | null; bytes: number | null; ms: number | null }
    try {
      const { rows } = await health.node.pool.query({ text: REPLICA_LAG_SQL, values: [position], query_timeout: LAG_CHECK_TIMEOUT_MS })
      row = rows[0] as typeof row
    } catch (error) {
      return error ?? new Error('the lag check failed')
    }
    // A node out of recovery (promoted) has no replay position: it serves reads with no floor, as it
    // is most likely the new primary; a floored read never goes to it (replayed stays -1)
    health.replayed = row.replayed === null ? -1n : parseLsn(row.replayed)
    health.lagBytes = Math.max(0, row.bytes ?? 0)
    health.lagMs = row.ms ?? Number.POSITIVE_INFINITY
    const state = health.lagMs > this.#options.maxLagMs ? 'lagging' : 'up'
    if (state === health.state) return undefined
    const { name } = health.node
    if (state === 'lagging') this.#options.log.warn({ node: name, lagMs: row.ms, lagBytes: row.bytes }, 'replica lags: its reads go elsewhere')
    else this.#options.log.info({ node: name, was: health.state }, 'replica is up and caught up: it serves reads')
    health.state = state
    return undefined
  }

  /** A connection for one read: the next replica that may serve it, or the primary's. */
  async connect(): Promise<PostgresPoolClient> {
    return this.#connectAvoiding(new Set(), await currentReadFloor())
  }

  async #connectAvoiding(tried: Set<NodeHealth>, floor: bigint | undefined): Promise<ReadClient> {
    if (floor !== PRIMARY_ONLY) {
      const stats = currentQueryStats()
      for (let candidate = this.#pick(tried, floor, stats); candidate !== undefined; candidate = this.#pick(tried, floor, stats)) {
        tried.add(candidate)
        try {
          const client = (await candidate.node.pool.connect()) as ReadClient
          if (stats !== undefined) stats.readNode = candidate
          return this.#routed(client, candidate, tried, floor)
        } catch (error) {
          if (!isDatabaseUnavailable(error)) throw error
          this.#markDown(candidate, error)
          this.#failovers++
        }
      }
    }
    this.#primaryReads[this.#whyPrimary(floor)]++
    return (await this.#options.primary.connect()) as ReadClient
  }

  /**
   * The replica a read may go to: the one this request read from before, so that one request sees
   * one point in time, else the next that is up, has replayed past `floor` and is not tried yet.
   */
  #pick(tried: Set<NodeHealth>, floor: bigint | undefined, stats: QueryStats | undefined): NodeHealth | undefined {
    const serves = (health: NodeHealth) => health.state === 'up' && !tried.has(health) && (floor === undefined || health.replayed >= floor)
    const before = stats?.readNode as NodeHealth | undefined
    if (before !== undefined && this.#nodes.includes(before) && serves(before)) return before
    const count = this.#nodes.length
    for (let i = 0; i < count; i++) {
      const health = this.#nodes[(this.#next + i) % count]!
      if (serves(health)) {
        this.#next = (this.#next + i + 1) % count
        return health
      }
    }
    return undefined
  }

  #whyPrimary(floor: bigint | undefined): PrimaryReadReason {
    if (floor === PRIMARY_ONLY) return 'fresh_required'
    if (this.#nodes.some((h) => h.state === 'up')) return floor === undefined ? 'replicas_down' : 'read_your_writes'
    return this.#nodes.some((h) => h.state === 'lagging') ? 'replicas_lagging' : 'replicas_down'
  }

  /** A replica's client whose failed read, if the node is what failed, runs again elsewhere. */
  #routed(client: ReadClient, health: NodeHealth, tried: Set<NodeHealth>, floor: bigint | undefined): ReadClient {
    let current = client
    let onReplica = true
    const query = async (sql: unknown, parameters: readonly unknown[]) => {
      if (typeof sql !== 'string') throw new Error('streamed reads are not routed to replicas: stream from db.primary')
      try {
        const result = await current.query(sql, parameters)
        if (onReplica) {
          health.reads++
          const stats = currentQueryStats()
          if (stats !== undefined) stats.replicaReads++
        }
        return result
      } catch (error) {
        if (!onReplica || !isDatabaseUnavailable(error)) throw error
        this.#markDown(health, error)
        this.#failovers++
        current.release(error as Error)
        current = await this.#connectAvoiding(tried, floor)
        onReplica = false // the retry's node counts its own read (the primary's count is in primaryReads)
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
    this.#options.log.warn({ node: health.node.name, reason }, 'replica unreachable: its reads go to the other nodes until it answers again')
    this.#scheduleProbe(health)
  }

  #scheduleProbe(health: NodeHealth): void {
    health.probe = setTimeout(() => void this.#probe(health), health.probeDelayMs)
    health.probe.unref()
  }

  /** A benched replica serves again once it answers and — with the monitor on — is caught up. */
  async #probe(health: NodeHealth): Promise<void> {
    if (this.#closed) return
    health.probe = undefined
    const position = this.#options.maxLagMs > 0 ? await this.#primaryPosition() : undefined
    let failure: unknown
    if (position !== undefined) failure = await this.#measure(health, position)
    else failure = await health.node.pool.query('select 1').then(() => undefined, (error: unknown) => error ?? new Error('select 1 failed'))
    if (this.#closed) return
    if (failure !== undefined) {
      health.probeDelayMs = Math.min(health.probeDelayMs * 2, PROBE_MAX_MS)
      this.#scheduleProbe(health)
      return
    }
    if (health.state === 'down') {
      health.state = 'up'
      this.#options.log.info({ node: health.node.name }, 'replica answers again: it serves reads')
    }
  }

  status(): RouterStatus {
    return {
      nodes: this.#nodes.map((h) => ({
        name: h.node.name,
        address: h.node.address,
        state: h.state,
        reads: h.reads,
        failures: h.failures,
        lagBytes: h.lagBytes,
        lagMs: h.lagMs,
        replayedLsn: h.replayed < 0n ? undefined : formatLsn(h.replayed),
      })),
      primaryReads: { ...this.#primaryReads },
      failovers: this.#failovers,
      maxLagMs: this.#options.maxLagMs,
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
