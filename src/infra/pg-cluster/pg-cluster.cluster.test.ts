/**
 * The replication harness itself: a primary and two streaming replicas of the test's own, that
 * replicate, lag when told, come back streaming after a crash, and leave nothing behind.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { CLUSTER_PROGRAMS, type PgCluster, queryNode, startPgCluster } from './pg-cluster.ts'
import { alive, findPostgresBinaries, processTree } from './pg-server-process.ts'

const binaries = findPostgresBinaries(CLUSTER_PROGRAMS)
const skip = 'missing' in binaries ? `no PostgreSQL server programs to start a cluster: ${binaries.missing}` : false

const query = queryNode

async function notes(url: string): Promise<string[]> {
  const rows = await query<{ note: string }>(url, 'select note from harness_note order by id')
  return rows.map((row) => row.note)
}

describe('a PostgreSQL primary with two streaming replicas', { skip }, () => {
  let cluster: PgCluster

  before(async () => {
    if (!('bindir' in binaries)) return
    cluster = await startPgCluster({ replicas: 2, bindir: binaries.bindir })
    await query(cluster.primary.url, 'create table harness_note (id serial primary key, note text not null)')
  })
  after(async () => {
    await cluster?.remove()
  })

  test('a row written on the primary is read from both replicas after waitForReplay', async () => {
    await query(cluster.primary.url, `insert into harness_note (note) values ('replicated')`)
    await cluster.waitForReplay()
    for (const replica of cluster.replicas) assert.ok((await notes(replica.url)).includes('replicated'), replica.name)
  })

  test('a replica with an apply delay lags: the row is missing there at first, then there', async () => {
    await cluster.setApplyDelay(1, 2000)
    try {
      await query(cluster.primary.url, `insert into harness_note (note) values ('delayed')`)
      assert.ok(!(await notes(cluster.replicas[1]!.url)).includes('delayed'), 'not yet applied on the delayed replica')
      await cluster.waitForReplay()
      for (const replica of cluster.replicas) assert.ok((await notes(replica.url)).includes('delayed'), replica.name)
    } finally {
      await cluster.setApplyDelay(1, 0)
    }
  })

  test('a paused replica answers nothing until resumed', async () => {
    const replica = cluster.replicas[1]!
    replica.pause()
    try {
      await assert.rejects(query(replica.url, 'select 1', [], 500), /timeout/i)
    } finally {
      replica.resume()
    }
    assert.deepEqual(await query(replica.url, 'select 1 as one'), [{ one: 1 }])
  })

  test('a killed replica is gone at once, and streams and replays again after start', async () => {
    const replica = cluster.replicas[0]!
    const processes = processTree(replica.pid!)
    assert.ok(processes.length > 1, 'the postmaster and its children run')
    await replica.kill()
    assert.deepEqual(alive(processes), [], 'every process of the replica is gone')
    await assert.rejects(query(replica.url, 'select 1'), /ECONNREFUSED/)

    await query(cluster.primary.url, `insert into harness_note (note) values ('while down')`)
    await replica.start()
    await cluster.waitUntilStreaming()
    await cluster.waitForReplay()
    assert.ok((await notes(replica.url)).includes('while down'))
  })

  test('remove() leaves no process of the cluster and no folder', async () => {
    const nodes = [cluster.primary, ...cluster.replicas]
    const processes = nodes.flatMap((node) => processTree(node.pid!))
    assert.equal(new Set(processes).size, processes.length)
    assert.ok(processes.length >= 3 * 3, 'every node runs with its children')
    await cluster.remove()
    assert.deepEqual(alive(processes), [], 'no process of the cluster is left')
    assert.equal(fs.existsSync(cluster.folder), false, 'the folder is gone')
    const commands = execFileSync('ps', ['-A', '-o', 'stat=,args='], { encoding: 'utf8' })
    const leftOver = commands.split('\n').filter((line) => !line.startsWith('Z') && line.includes(cluster.folder))
    assert.deepEqual(leftOver, [], 'no process names the folder')
  })
})
