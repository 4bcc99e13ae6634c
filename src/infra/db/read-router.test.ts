/**
 * The read router against a real PostgreSQL playing every node (told apart by application_name),
 * and nodes that are not there: a closed port (refused), a listener that never answers (a hung
 * server), and a proxy started later (a replica coming back).
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, test } from 'node:test'
import { Kysely, PostgresDialect } from 'kysely'
import { createPgPool } from './connect.ts'
import type { Database } from './database.ts'
import { ReadRouter, type ReplicaNode, type RouterLog } from './read-router.ts'
import { freeLoopbackPort } from '../pg-cluster/pg-server-process.ts'

const url = process.env['BRISK_TEST_DATABASE_URL'] || undefined
const skip = url ? false : 'BRISK_TEST_DATABASE_URL is not set (CI sets it)'
const closers: (() => Promise<unknown>)[] = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

/** A listener that accepts connections and never says a word: a server that hangs. */
async function silentServer(): Promise<number> {
  const sockets: net.Socket[] = []
  const server = net.createServer((socket) => void sockets.push(socket)).listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  closers.push(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as net.AddressInfo).port
}

/** Forwards `port` to the test PostgreSQL once started: a node that comes back. */
function proxyTo(target: URL, port: number) {
  const sockets: net.Socket[] = []
  const server = net.createServer((socket) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    sockets.push(socket, upstream)
    socket.pipe(upstream).pipe(socket)
    socket.on('error', () => upstream.destroy())
    upstream.on('error', () => socket.destroy())
  })
  return {
    start: () => new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(undefined))),
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

function nodeAt(name: string, nodeUrl: string): ReplicaNode {
  const pool = createPgPool({ url: nodeUrl, poolSize: 4, statementTimeoutMs: 0, queryTimeoutMs: 1000, name })
  return { name, pool }
}

function withPort(port: number): string {
  const at = new URL(url!)
  at.port = String(port)
  return at.toString()
}

function recordingLog() {
  const lines: string[] = []
  const log: RouterLog = { warn: (_f, m) => void lines.push(`warn ${m}`), info: (_f, m) => void lines.push(`info ${m}`) }
  return { lines, log }
}

function readerOver(replicas: ReplicaNode[], log: RouterLog) {
  const primary = createPgPool({ url: url!, poolSize: 4, statementTimeoutMs: 0, name: 'primary' })
  const router = new ReadRouter({ replicas, primary, log, maxLagMs: 0, checkIntervalMs: 0 })
  const reader = new Kysely<Database>({ dialect: new PostgresDialect({ pool: router }) })
  closers.push(async () => {
    await reader.destroy()
    await primary.end()
  })
  const whoServes = async () => {
    const { rows } = await reader.executeQuery<{ node: string }>({
      sql: "select current_setting('application_name') as node",
      parameters: [],
      query: { kind: 'RawNode' } as never,
      queryId: { queryId: 'who' } as never,
    })
    return rows[0]!.node
  }
  return { router, whoServes }
}

test('reads go round the healthy replicas', { skip }, async () => {
  const { log } = recordingLog()
  const { whoServes } = readerOver([nodeAt('replica-1', url!), nodeAt('replica-2', url!)], log)
  const served = []
  for (let i = 0; i < 6; i++) served.push(await whoServes())
  assert.deepEqual(served, ['replica-1', 'replica-2', 'replica-1', 'replica-2', 'replica-1', 'replica-2'])
})

test('a refused replica costs no read: it is benched on its first failure, and the primary serves when none is left', { skip }, async () => {
  const { lines, log } = recordingLog()
  const dead = nodeAt('replica-1', withPort(await freeLoopbackPort()))
  const { router, whoServes } = readerOver([dead, nodeAt('replica-2', url!)], log)
  const served = []
  for (let i = 0; i < 6; i++) served.push(await whoServes())
  assert.deepEqual(served, Array(6).fill('replica-2'))
  assert.equal(router.status().nodes[0]!.state, 'down')
  assert.equal(router.status().nodes[0]!.failures, 1, 'tried once, then left alone')
  assert.equal(lines.filter((l) => l.startsWith('warn')).length, 1, 'one warning')

  const { router: alone, whoServes: aloneServes } = readerOver([nodeAt('replica-1', withPort(await freeLoopbackPort()))], log)
  assert.equal(await aloneServes(), 'primary')
  assert.equal(await aloneServes(), 'primary')
  assert.equal(alone.status().primaryReads.replicas_down, 2)
})

test('a replica that accepts and never answers is left within the connect timeout', { skip }, async () => {
  const { log } = recordingLog()
  const hung = nodeAt('replica-1', withPort(await silentServer()))
  const { router, whoServes } = readerOver([hung, nodeAt('replica-2', url!)], log)
  const startedAt = performance.now()
  assert.equal(await whoServes(), 'replica-2')
  const took = performance.now() - startedAt
  // the connect timeout is 1 s (connect.ts); the bound is correctness (no hang), not speed
  assert.ok(took < 3000, `answered in ${took.toFixed(0)} ms`)
  assert.equal(router.status().nodes[0]!.state, 'down')
})

test('a benched replica rejoins by itself once it answers again', { skip }, async () => {
  const { lines, log } = recordingLog()
  const port = await freeLoopbackPort()
  const proxy = proxyTo(new URL(url!), port)
  closers.push(() => proxy.stop())
  const { router, whoServes } = readerOver([nodeAt('replica-1', withPort(port)), nodeAt('replica-2', url!)], log)
  assert.equal(await whoServes(), 'replica-2')
  assert.equal(router.status().nodes[0]!.state, 'down')
  await proxy.start()
  const giveUpAt = Date.now() + 5000
  while (router.status().nodes[0]!.state !== 'up') {
    assert.ok(Date.now() < giveUpAt, 'the probe found it within 5 s')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const served = new Set([await whoServes(), await whoServes()])
  assert.deepEqual([...served].sort(), ['replica-1', 'replica-2'])
  assert.ok(lines.includes('info replica answers again: it serves reads'))
})
