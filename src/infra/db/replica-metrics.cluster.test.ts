/**
 * What operators see of real streaming replicas (test/cluster-app.ts), one lagging (it applies WAL
 * two seconds late while writes keep coming) and one killed: /metrics, /health/ready and
 * `brisk db status` agree on each node's state, and the lag figures are real WAL distances.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, test } from 'node:test'
import { sql } from 'kysely'
import { type ClusterApp, clusterSkip, startClusterApp, waitUntil } from '../../../test/cluster-app.ts'
import { runBrisk, tempDir } from '../../cli/cli.test-support.ts'
import { parsePrometheusText, sampleValue } from '../http/prometheus-text.test-support.ts'

let cluster: ClusterApp | undefined
const cwd = tempDir('brisk-db-status-')
after(async () => {
  await cluster?.close()
  fs.rmSync(cwd, { recursive: true, force: true })
})

test('a lagging and a dead replica, as /metrics, /health/ready and brisk db status show them', { skip: clusterSkip }, async () => {
  cluster = await startClusterApp({ replicas: 2, products: 3 })
  const { app, authorization, primaryDb, productIds } = cluster
  const router = app.db.replicas!
  await sql`create table lag_probe (id serial primary key)`.execute(primaryDb.primary)
  await cluster.cluster.setApplyDelay(0, 2000)
  await cluster.cluster.replicas[1]!.kill()
  // writes keep coming, so replica-1's oldest unreplayed commit ages past the 1 s limit
  const writer = setInterval(() => void sql`insert into lag_probe default values`.execute(primaryDb.primary).catch(() => {}), 50)
  try {
    await waitUntil('replica-1 lagging and replica-2 down', () => {
      const [first, second] = router.status().nodes
      return first?.state === 'lagging' && second?.state === 'down'
    })
    const read = await app.http.inject({ method: 'GET', url: `/api/products/${productIds[0]}`, headers: { authorization } })
    assert.equal(read.statusCode, 200)

    const scrape = await app.http.inject({ method: 'GET', url: '/metrics', headers: { authorization } })
    const families = parsePrometheusText(scrape.body)
    const value = (name: string, labels: Record<string, string> = {}) => sampleValue(families, name, labels)
    assert.equal(value('brisk_db_replica_state', { node: 'replica-1', state: 'lagging' }), 1)
    assert.equal(value('brisk_db_replica_state', { node: 'replica-2', state: 'down' }), 1)
    assert.ok(value('brisk_db_replica_lag_bytes', { node: 'replica-1' })! > 0)
    assert.ok(value('brisk_db_replica_lag_seconds', { node: 'replica-1' })! > 1)
    assert.equal(value('brisk_db_replica_lag_seconds', { node: 'replica-2' }), undefined)
    assert.ok(value('brisk_db_primary_reads_total', { reason: 'replicas_lagging' })! >= 1, 'the product read went to the primary')

    const ready = await app.http.inject({ method: 'GET', url: '/health/ready' })
    assert.equal(ready.statusCode, 200, 'replicas in trouble leave the service ready')
    assert.deepEqual(ready.json().nodes, [
      { name: 'primary', state: 'up' },
      { name: 'replica-1', state: 'lagging' },
      { name: 'replica-2', state: 'down' },
    ])

    const env = {
      BRISK_DATABASE_URL: cluster.cluster.primary.url,
      BRISK_REPLICA_URLS: cluster.cluster.replicas.map((r) => r.url).join(','),
      BRISK_DB_CONNECT_TIMEOUT_MS: '1500',
      BRISK_LOG_LEVEL: 'silent',
    }
    const status = await runBrisk(['db', 'status', '--json'], { cwd, env })
    assert.equal(status.code, 0, status.stderr)
    const [primary, lagging, dead] = JSON.parse(status.stdout).nodes
    assert.equal(primary.state, 'up')
    assert.equal(lagging.state, 'lagging')
    assert.match(lagging.walLsn, /^[0-9A-F]+\/[0-9A-F]+$/, 'a real replica says what it has replayed')
    assert.ok(lagging.lagBytes > 0 && lagging.lagMs > 1000, JSON.stringify(lagging))
    assert.equal(dead.state, 'down')
  } finally {
    clearInterval(writer)
  }
})
