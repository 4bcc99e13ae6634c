/**
 * The read router's figures on /metrics, read from router.status() when scraped; no replica
 * families at all without BRISK_REPLICA_URLS.
 *
 * Under `brisk serve --workers N` every worker routes its own reads and watches the replicas on
 * its own, and a scrape combines the workers' families (cluster-metrics.ts): the counters are
 * summed; a replica's state is summed too, so each state reads how many workers see the replica
 * in it (0 or 1 in a single process, the states of a replica add up to N) — an alert on
 * state="down" > 0 fires when any worker has benched it; lag is the largest any worker measured
 * (they check the same replica against the same primary within one interval, and the worst is
 * what an alert wants).
 */
import { Counter, Gauge } from 'prom-client'
import type { Metrics } from '../http/metrics.ts'
import { REPLICA_STATES, replicaLag } from './node-status.ts'
import type { ReadRouter } from './read-router.ts'

type StatusSource = Pick<ReadRouter, 'status'>

export function registerReplicaMetrics(metrics: Metrics, router: StatusSource | undefined): void {
  if (router === undefined) return
  registerStateFamilies(metrics, router)
  registerReadFamilies(metrics, router)
}

function registerStateFamilies(metrics: Metrics, router: StatusSource): void {
  const registers = [metrics.registry]
  new Gauge({
    name: 'brisk_db_replica_state',
    help: 'Replicas by state (up, down, lagging): 1 for the state this process sees a replica in; under --workers N, how many workers see it so.',
    labelNames: ['node', 'state'],
    aggregator: 'sum',
    registers,
    collect() {
      this.reset()
      for (const node of router.status().nodes) {
        for (const state of REPLICA_STATES) this.set({ node: node.name, state }, node.state === state ? 1 : 0)
      }
    },
  })
  const lagGauge = (name: string, help: string, value: (lag: ReturnType<typeof replicaLag>) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      aggregator: 'max',
      registers,
      collect() {
        this.reset()
        for (const node of router.status().nodes) {
          const measured = value(replicaLag(node))
          if (measured !== null) this.set({ node: node.name }, measured)
        }
      },
    })
  lagGauge(
    'brisk_db_replica_lag_bytes',
    "WAL bytes a replica has not replayed yet, at the last check; absent while it is down (the worst worker's figure under --workers N).",
    (lag) => lag.lagBytes,
  )
  lagGauge(
    'brisk_db_replica_lag_seconds',
    "Age of the oldest commit a replica has not replayed yet, at the last check; absent while it is down (the worst worker's figure under --workers N).",
    (lag) => (lag.lagMs === null ? null : lag.lagMs / 1000),
  )
  new Gauge({
    name: 'brisk_db_replica_max_lag_seconds',
    help: 'BRISK_REPLICA_MAX_LAG_MS in seconds: a replica lagging more is skipped (0: lag is not watched).',
    aggregator: 'max',
    registers,
    collect() {
      this.set(router.status().maxLagMs / 1000)
    },
  })
}

function registerReadFamilies(metrics: Metrics, router: StatusSource): void {
  const registers = [metrics.registry]
  new Counter({
    name: 'brisk_db_routed_reads_total',
    help: 'Reads of db.reader by the node that served them: replica-1, replica-2, … and primary when no replica could.',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset()
      const status = router.status()
      for (const node of status.nodes) this.inc({ node: node.name }, node.reads)
      this.inc({ node: 'primary' }, Object.values(status.primaryReads).reduce((sum, n) => sum + n, 0))
    },
  })
  new Counter({
    name: 'brisk_db_primary_reads_total',
    help:
      'Reads of db.reader the primary served, by reason: replicas_down, replicas_lagging, read_your_writes (no replica ' +
      "had replayed the client's last write yet), fresh_required (a workflow that decides on what it reads, such as a sale, reads from the primary only).",
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset()
      for (const [reason, count] of Object.entries(router.status().primaryReads)) this.inc({ reason }, count)
    },
  })
  new Counter({
    name: 'brisk_db_replica_failovers_total',
    help: 'Reads that failed on an unreachable replica and were run again on another node.',
    registers,
    collect() {
      this.reset()
      this.inc(router.status().failovers)
    },
  })
  new Counter({
    name: 'brisk_db_replica_failures_total',
    help: 'Times a replica was found unreachable (a read, a connection or a lag check failed), by node.',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset()
      for (const node of router.status().nodes) this.inc({ node: node.name }, node.failures)
    },
  })
}
