/**
 * `brisk bench catalog-read` and `brisk bench cache-invalidation` with tiny settings: the shape of
 * their JSON and what does not depend on the machine's speed — statements per request (cache off
 * reads the database, a warm memory tier does not), every price change seen by the other app —
 * and that they leave nothing behind: no scratch database, no child process, no redis-server.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterEach, beforeEach, describe, mock, test } from 'node:test'
import { testDatabaseUrl } from '../../test/db.ts'
import { loadConfig } from '../config/config.ts'
import { cacheInvalidationScenario, type VariantResult as ChangeResult } from './cache-invalidation/index.ts'
import { catalogReadScenario, type VariantResult } from './catalog-read/index.ts'
import { interruptRun, useBenchDatabase } from './bench.test-support.ts'
import { childrenOf } from './children.ts'

const benchDb = useBenchDatabase('bench')

// On PostgreSQL each run makes its scratch database; PGlite's take seconds each, so there the runs share a folder of the test's own
const config = loadConfig(testDatabaseUrl ? { BRISK_DATABASE_URL: testDatabaseUrl } : {})
const hasRedisServer = (process.env['PATH'] ?? '').split(path.delimiter).some((d) => d !== '' && fs.existsSync(path.join(d, 'redis-server')))
const noRedisServer = hasRedisServer ? false : 'no redis-server on the PATH: the bench starts one of its own'

// --anonymous: a till's token lives 2 s in the cache, so a slice that comes later may reload it; products do not expire
const TINY_READS = { duration: '0.2', warmup: '0', rounds: '1', products: '20', clients: '2', hits: '0.1', anonymous: true, json: true }

function captureOutput() {
  const stdout: string[] = []
  const stderr: string[] = []
  mock.method(console, 'log', (...args: unknown[]) => stdout.push(args.join(' ')))
  mock.method(process.stderr, 'write', (chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0)
  return { stdout, progress: () => stderr.join('') }
}


function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('connect', () => resolve(socket.destroy() !== undefined))
    socket.once('error', () => resolve(false))
  })
}

async function redisLeft(description: string | null): Promise<boolean> {
  const port = /127\.0\.0\.1:(\d+)/.exec(description ?? '')?.[1]
  return port !== undefined && (await answers(Number(port)))
}

describe('brisk bench catalog-read and cache-invalidation', () => {
  let output: ReturnType<typeof captureOutput>
  let childrenBefore: number[]
  beforeEach(() => {
    childrenBefore = childrenOf(process.pid)
    output = captureOutput()
  })
  afterEach(() => mock.restoreAll())

  test('catalog-read: cache off reads the database on every lookup, a warm memory tier never', async () => {
    await catalogReadScenario.run(config, { ...TINY_READS, ...benchDb.where() })
    mock.restoreAll()
    assert.equal(output.stdout.length, 1, 'stdout is one JSON document')
    const printed = JSON.parse(output.stdout[0]!) as {
      scenario: string
      database: string
      redis: string | null
      results: Record<string, VariantResult>
      inProcessHits: { gets: number; getsPerSecond: number } | null
      targets: { target: string; met: boolean }[]
      notes: string[]
    }
    assert.equal(printed.scenario, 'catalog-read')
    const variants = hasRedisServer ? ['floor', 'hooks', 'off', 'memory', 'redis'] : ['floor', 'hooks', 'off', 'memory']
    assert.deepEqual(Object.keys(printed.results).sort(), variants.sort())
    for (const [variant, r] of Object.entries(printed.results)) {
      assert.ok(r.requests > 0 && r.requestsPerSecond > 0 && r.p99Ms >= r.p50Ms, `${variant}: ${JSON.stringify(r)}`)
      assert.equal(r.errors, 0, variant)
    }
    const { off, memory, redis, floor } = printed.results
    assert.equal(floor!.percentOfFloor, 100)
    for (const lookup of ['id', 'sku', 'barcode']) {
      assert.ok(off!.statementsByLookup![lookup]! >= 1, `cache off, by ${lookup}: ${off!.statementsByLookup![lookup]}`)
      assert.equal(memory!.statementsByLookup![lookup], 0, `memory tier, by ${lookup}`)
      if (redis) assert.equal(redis.statementsByLookup![lookup], 0, `memory + Redis, by ${lookup}`)
    }
    assert.equal(memory!.statementsPerRequest, 0)
    assert.ok(printed.targets.some((t) => t.target.includes('0 SQL statements') && t.met))
    assert.ok(printed.inProcessHits!.gets > 0)
    if (!hasRedisServer) assert.match(printed.notes.join('\n'), /no memory \+ Redis variant/)
    assert.equal(await benchDb.scratchLeft(printed.database), false)
    assert.equal(await redisLeft(printed.redis), false)
    assert.deepEqual(childrenOf(process.pid), childrenBefore, 'the load client and the redis-server are gone')
  })

  test('catalog-read: Ctrl+C stops it, prints no figures, and leaves no database, child process or Redis', async () => {
    const listening = process.listeners('SIGINT')
    const running = catalogReadScenario.run(config, { ...TINY_READS, ...benchDb.where(), duration: '120', hits: '0', variants: 'memory,redis' })
    const end = Date.now() + 30_000
    while (!output.progress().includes('measuring') && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
    assert.equal(await interruptRun(running, listening), 130)
    mock.restoreAll()
    assert.deepEqual(output.stdout, [])
    const progress = output.progress()
    assert.match(progress, /interrupted, no figures/)
    assert.equal(await benchDb.scratchLeft(progress), false)
    assert.equal(await redisLeft(/redis-server of its own on (\S+)/.exec(progress)?.[1] ?? null), false)
    assert.deepEqual(childrenOf(process.pid), childrenBefore)
  })

  test('cache-invalidation: B shows every price change A made, with the cache off and over the Redis bus', { skip: noRedisServer }, async () => {
    await cacheInvalidationScenario.run(config, { ...benchDb.where(), changes: '20', products: '5', json: true })
    mock.restoreAll()
    const printed = JSON.parse(output.stdout[0]!) as { database: string; redis: string; results: Record<string, ChangeResult> }
    const { off, redis } = printed.results
    for (const r of [off!, redis!]) {
      assert.equal(r.changes, 20)
      assert.equal(r.unseen, 0)
      assert.ok(r.p99Ms !== null && r.p99Ms >= r.p50Ms!)
    }
    // reading the database, B sees a change committed before A answered on its first read
    assert.equal(off!.firstRead, 20)
    // B's memory tier held every product: only an eviction over the bus could make it read a new price
    assert.ok(redis!.busP50Ms !== null && off!.busP50Ms === null)
    assert.equal(await benchDb.scratchLeft(printed.database), false)
    assert.equal(await redisLeft(printed.redis), false)
    assert.deepEqual(childrenOf(process.pid), childrenBefore)
  })
})
