/**
 * The read router on real streaming replicas (test/pg-cluster.ts): a replica told to apply WAL
 * late is skipped while it lags and serves again once it has caught up.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { CLUSTER_PROGRAMS, type PgCluster, startPgCluster } from '../pg-cluster/pg-cluster.ts'
import { findPostgresBinaries } from '../pg-cluster/pg-server-process.ts'
import { createPgPool } from './connect.ts'
import { ReadRouter } from './read-router.ts'

const binaries = findPostgresBinaries(CLUSTER_PROGRAMS)
const skip = 'missing' in binaries ? `no PostgreSQL server programs to start a cluster: ${binaries.missing}` : false

let cluster: PgCluster | undefined
before(async () => {
  if ('bindir' in binaries) cluster = await startPgCluster({ replicas: 2, bindir: binaries.bindir })
})
after(async () => {
  await cluster?.remove()
})

async function until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs
  while (!done()) {
    assert.ok(Date.now() < giveUpAt, `${what} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

test('a lagging replica is skipped until it catches up; the primary serves when every replica lags', { skip }, async () => {
  const { primary, replicas } = cluster!
  const pool = (url: string, name: string) => createPgPool({ url, poolSize: 2, statementTimeoutMs: 0, queryTimeoutMs: 2000, name })
  const primaryPool = pool(primary.url, 'primary')
  const nodes = replicas.map((r, i) => ({ name: `replica-${i + 1}`, pool: pool(r.url, `replica-${i + 1}`) }))
  const warnings: string[] = []
  const log = { warn: (_f: object, m: string) => void warnings.push(m), info: () => {} }
  const router = new ReadRouter({ replicas: nodes, primary: primaryPool, log, maxLagMs: 1000, checkIntervalMs: 50 })
  const whoServes = async () => {
    const client = await router.connect()
    try {
      const { rows } = await client.query<{ node: string }>("select current_setting('application_name') as node", [])
      return rows[0]!.node
    } finally {
      client.release()
    }
  }
  try {
    await primaryPool.query('create table lag_probe (id serial primary key)')
    await cluster!.waitForReplay()
    await cluster!.setApplyDelay(0, 2000)
    // writes keep coming, so replica-1's unreplayed commits age past the limit
    const writer = setInterval(() => void primaryPool.query('insert into lag_probe default values').catch(() => {}), 50)
    try {
      await until('replica-1 seen lagging', () => router.status().nodes[0]!.state === 'lagging')
      const served = new Set<string>()
      for (let i = 0; i < 6; i++) served.add(await whoServes())
      assert.deepEqual([...served], ['replica-2'])
      assert.ok(router.status().nodes[0]!.lagBytes > 0)

      await cluster!.setApplyDelay(1, 2000)
      await until('replica-2 seen lagging', () => router.status().nodes[1]!.state === 'lagging')
      assert.equal(await whoServes(), 'primary')
    } finally {
      clearInterval(writer)
    }
    await cluster!.setApplyDelay(0, 0)
    await cluster!.setApplyDelay(1, 0)
    await until('both caught up', () => router.status().nodes.every((n) => n.state === 'up'))
    const served = new Set([await whoServes(), await whoServes()])
    assert.deepEqual([...served].sort(), ['replica-1', 'replica-2'])
    assert.ok(warnings.includes('replica lags: its reads go elsewhere'))
  } finally {
    await router.close()
    await primaryPool.end()
  }
})
