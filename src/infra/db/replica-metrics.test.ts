/**
 * The replica families: read from router.status() when scraped (a stand-in status first, then a real
 * router over the test PostgreSQL playing a replica and a closed port playing a dead one), and
 * combined over the workers of `brisk serve --workers N`.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { combineSnapshots } from '../http/cluster-metrics.ts'
import { createMetrics } from '../http/metrics.ts'
import { parsePrometheusText, sampleValue } from '../http/prometheus-text.test-support.ts'
import { connectPostgres } from './connect.ts'
import type { NodeStatus, RouterStatus } from './read-router.ts'
import { registerReplicaMetrics } from './replica-metrics.ts'
import { freeLoopbackPort } from '../pg-cluster/pg-server-process.ts'

const url = process.env['BRISK_TEST_DATABASE_URL'] || undefined

function node(name: string, fields: Partial<NodeStatus>): NodeStatus {
  return { name, address: undefined, state: 'up', reads: 0, failures: 0, lagBytes: 0, lagMs: 0, replayedLsn: undefined, ...fields }
}

function routerStatus(nodes: NodeStatus[], fields: Partial<RouterStatus> = {}): RouterStatus {
  const primaryReads = { replicas_down: 0, replicas_lagging: 0, read_your_writes: 0, fresh_required: 0 }
  return { nodes, primaryReads, failovers: 0, maxLagMs: 1000, ...fields }
}

function meteredRouter(status: RouterStatus) {
  const metrics = createMetrics()
  registerReplicaMetrics(metrics, { status: () => status })
  return metrics
}

test('each replica has its state, lag and reads; the primary its reads by reason; a down replica shows no stale lag', async () => {
  const metrics = meteredRouter(
    routerStatus(
      [
        node('replica-1', { reads: 7, lagBytes: 4096, lagMs: 1500, state: 'lagging' }),
        node('replica-2', { reads: 3, failures: 2, lagBytes: 99, lagMs: 80, state: 'down' }),
      ],
      { primaryReads: { replicas_down: 1, replicas_lagging: 2, read_your_writes: 4, fresh_required: 8 }, failovers: 2 },
    ),
  )
  const families = parsePrometheusText(await metrics.render())
  const value = (name: string, labels: Record<string, string> = {}) => sampleValue(families, name, labels)

  assert.equal(value('brisk_db_replica_state', { node: 'replica-1', state: 'lagging' }), 1)
  assert.equal(value('brisk_db_replica_state', { node: 'replica-1', state: 'up' }), 0)
  assert.equal(value('brisk_db_replica_state', { node: 'replica-1', state: 'down' }), 0)
  assert.equal(value('brisk_db_replica_state', { node: 'replica-2', state: 'down' }), 1)
  assert.equal(value('brisk_db_replica_lag_bytes', { node: 'replica-1' }), 4096)
  assert.equal(value('brisk_db_replica_lag_seconds', { node: 'replica-1' }), 1.5)
  assert.equal(value('brisk_db_replica_lag_bytes', { node: 'replica-2' }), undefined, 'no lag figure for a down replica')
  assert.equal(value('brisk_db_replica_lag_seconds', { node: 'replica-2' }), undefined)
  assert.equal(value('brisk_db_replica_max_lag_seconds'), 1)

  assert.equal(value('brisk_db_routed_reads_total', { node: 'replica-1' }), 7)
  assert.equal(value('brisk_db_routed_reads_total', { node: 'replica-2' }), 3)
  assert.equal(value('brisk_db_routed_reads_total', { node: 'primary' }), 1 + 2 + 4 + 8)
  assert.equal(value('brisk_db_primary_reads_total', { reason: 'read_your_writes' }), 4)
  assert.equal(value('brisk_db_primary_reads_total', { reason: 'fresh_required' }), 8)
  assert.equal(value('brisk_db_replica_failovers_total'), 2)
  assert.equal(value('brisk_db_replica_failures_total', { node: 'replica-2' }), 2)
  assert.equal(families.get('brisk_db_routed_reads_total')?.type, 'counter')
})

test('without replicas there are no replica families', async () => {
  const metrics = createMetrics()
  registerReplicaMetrics(metrics, undefined)
  const names = [...parsePrometheusText(await metrics.render()).keys()]
  assert.deepEqual(
    names.filter((name) => name.startsWith('brisk_db_')),
    [],
  )
})

test('over the workers of a cluster: reads summed, each state counts the workers that see it, lag is the worst', async () => {
  const first = meteredRouter(routerStatus([node('replica-1', { reads: 5, lagBytes: 100, lagMs: 200 })], { failovers: 1 }))
  const second = meteredRouter(
    routerStatus([node('replica-1', { reads: 6, lagBytes: 5000, lagMs: 1200, state: 'lagging' })], {
      primaryReads: { replicas_down: 0, replicas_lagging: 3, read_your_writes: 0, fresh_required: 0 },
      failovers: 2,
    }),
  )
  const snapshots = [
    { label: '1', snapshot: await first.snapshot() },
    { label: '2', snapshot: await second.snapshot() },
  ]
  const families = parsePrometheusText(await combineSnapshots(snapshots))
  const value = (name: string, labels: Record<string, string> = {}) => sampleValue(families, name, labels)
  assert.equal(value('brisk_db_routed_reads_total', { node: 'replica-1' }), 11)
  assert.equal(value('brisk_db_routed_reads_total', { node: 'primary' }), 3)
  assert.equal(value('brisk_db_replica_failovers_total'), 3)
  assert.equal(value('brisk_db_replica_state', { node: 'replica-1', state: 'up' }), 1, 'one worker sees it up')
  assert.equal(value('brisk_db_replica_state', { node: 'replica-1', state: 'lagging' }), 1, 'the other sees it lagging')
  assert.equal(value('brisk_db_replica_state', { node: 'replica-1', state: 'down' }), 0)
  assert.equal(value('brisk_db_replica_lag_bytes', { node: 'replica-1' }), 5000)
  assert.equal(value('brisk_db_replica_lag_seconds', { node: 'replica-1' }), 1.2)
  assert.equal(value('brisk_db_replica_max_lag_seconds'), 1, 'the limit, not the sum of the workers')
})

test('a real router: reads on the live replica, the dead one benched and counted', { skip: url ? false : 'BRISK_TEST_DATABASE_URL is not set (CI sets it)' }, async () => {
  const dead = new URL(url!)
  dead.port = String(await freeLoopbackPort())
  const replicas = { urls: [url!, dead.toString()], queryTimeoutMs: 1000, maxLagMs: 0, checkIntervalMs: 0, log: { warn() {}, info() {} } }
  const db = connectPostgres({ url: url!, poolSize: 2, statementTimeoutMs: 0, replicas })
  try {
    const metrics = createMetrics()
    registerReplicaMetrics(metrics, db.replicas)
    for (let i = 0; i < 4; i++) await sql`select 1`.execute(db.reader)
    const families = parsePrometheusText(await metrics.render())
    const value = (name: string, labels: Record<string, string> = {}) => sampleValue(families, name, labels)
    assert.equal(value('brisk_db_routed_reads_total', { node: 'replica-1' }), 4, 'replica-2 failed at connect: the read went to replica-1')
    assert.equal(value('brisk_db_routed_reads_total', { node: 'replica-2' }), 0)
    assert.equal(value('brisk_db_routed_reads_total', { node: 'primary' }), 0)
    assert.equal(value('brisk_db_replica_state', { node: 'replica-2', state: 'down' }), 1)
    assert.equal(value('brisk_db_replica_state', { node: 'replica-1', state: 'up' }), 1)
    assert.equal(value('brisk_db_replica_failures_total', { node: 'replica-2' }), 1)
    assert.equal(value('brisk_db_replica_failovers_total'), 1, 'the read that found replica-2 dead ran on replica-1')
  } finally {
    await db.close()
  }
})
