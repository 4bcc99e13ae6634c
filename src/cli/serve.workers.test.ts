/**
 * `brisk serve --workers 2` as real processes on a PostgreSQL database of this file's own
 * (BRISK_TEST_DATABASE_URL) with Redis (BRISK_TEST_REDIS_URL). One cluster, started once, goes
 * through the tests in order: both workers answer on one port, /metrics sums them, a killed
 * worker is started again, SIGTERM drains them all. Without PostgreSQL or Redis those skip with a
 * message; the refusals need neither. The supervisor's rules (crash loop, stop) are tested with
 * fakes in serve-primary.test.ts.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import { after, before, describe, test } from 'node:test'
import pg from 'pg'
import { parsePrometheusText, sampleValue } from '../infra/http/prometheus-text.test-support.ts'
import { BRISK_BIN, runBrisk, STACK_LINE, tempDir } from './cli.test-support.ts'
import { acceptsConnections, killLater, type StartedServer, startServer, stopLeftovers, waitUntilGone } from './serve.test-support.ts'
import { WORKER_HEADER } from './serve-worker.ts'

const DRAIN_TIMEOUT_MS = 5000
/** A request that gets no answer in this time fails its test instead of holding up the file. */
const REQUEST_TIMEOUT_MS = 5000
const POOL_SIZE = 3
const CACHE_MEMORY_MB = 8
const databaseServer = process.env['BRISK_TEST_DATABASE_URL'] || undefined
const redisUrl = process.env['BRISK_TEST_REDIS_URL'] || undefined
const cwd = tempDir('brisk-workers-')
let database: string | undefined

after(async () => {
  stopLeftovers()
  fs.rmSync(cwd, { recursive: true, force: true })
  if (database) await onServer((admin) => admin.query(`drop database if exists ${database} with (force)`))
})

async function onServer(run: (admin: pg.Client) => Promise<unknown>): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseServer })
  await admin.connect()
  try {
    await run(admin)
  } finally {
    await admin.end()
  }
}

/** A database of this file's own, cloned from the run's migrated template when there is one (else the primary migrates it). */
async function createDatabase(): Promise<string> {
  const template = process.env['BRISK_TEST_TEMPLATE_DATABASE'] || undefined
  // Named after the run's template, so that scripts/run-tests.mjs drops it if this file crashes.
  database = `${template ?? 'brisk_test'}_workers_${randomBytes(4).toString('hex')}`
  await onServer((admin) => admin.query(`create database ${database}${template ? ` template ${template}` : ''}`))
  const url = new URL(databaseServer!)
  url.pathname = `/${database}`
  return url.toString()
}

interface Answer {
  status: number
  /** the pid of the worker that answered */
  worker: number | undefined
  body: string
}

let requestsSent = 0

/** A GET on a connection of its own, so that the primary hands each request to the next worker. */
function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  requestsSent += 1
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { ...headers, connection: 'close' } }, (res) => {
      let body = ''
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () => {
        const worker = res.headers[WORKER_HEADER]
        resolve({ status: res.statusCode ?? 0, worker: worker ? Number(worker) : undefined, body })
      })
    })
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`GET ${url}: no answer in ${REQUEST_TIMEOUT_MS} ms`)))
    req.on('error', reject)
  })
}

/** The workers' pids, from their responses: requests on fresh connections until `count` different ones answered. */
async function workerPids(url: string, count: number): Promise<Set<number>> {
  const pids = new Set<number>()
  for (let i = 0; i < 20 && pids.size < count; i++) {
    const answer = await get(`${url}/health/live`)
    assert.equal(answer.status, 200)
    if (answer.worker !== undefined) pids.add(answer.worker)
  }
  killLater(...pids)
  return pids
}

/** Resolves with the first line of `output()` (after `from` characters) that matches `pattern`. */
async function logLine(server: StartedServer, pattern: RegExp, from: number, ms = 30_000): Promise<string> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const line = server
      .output()
      .slice(from)
      .split('\n')
      .find((l) => pattern.test(l))
    if (line) return line
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`no log line matching ${pattern} in ${ms} ms:\n${server.output()}`)
}

test('--workers 2 on the embedded database is refused before any database work', async () => {
  const run = await runBrisk(['serve', '--workers', '2'], { cwd, env: { BRISK_DATA_DIR: `${cwd}/data` } })
  assert.equal(run.code, 1)
  assert.doesNotMatch(run.stderr, STACK_LINE)
  assert.match(run.stderr, /--workers 2: the embedded database \(BRISK_DATA_DIR\) belongs to one process/)
  assert.match(run.stderr, /set BRISK_DATABASE_URL, or serve with one worker/)
  assert.equal(fs.existsSync(`${cwd}/data`), false, 'no database was created')
})

test("--workers 2 on PostgreSQL without Redis is refused: the workers' memory caches could not evict each other's entries", async () => {
  // Nothing listens on port 1: a refusal that tried to connect would fail differently.
  const run = await runBrisk(['serve', '--workers', '2'], { cwd, env: { BRISK_DATABASE_URL: 'postgres://brisk@127.0.0.1:1/brisk' } })
  assert.equal(run.code, 1)
  assert.doesNotMatch(run.stderr, STACK_LINE)
  assert.match(run.stderr, /--workers 2 needs Redis \(BRISK_REDIS_URL\).*a changed price or a revoked token would keep being served/)
  assert.match(run.stderr, /or BRISK_CACHE=off/)
})

const skip = !databaseServer
  ? 'BRISK_TEST_DATABASE_URL is not set: no PostgreSQL for the workers to share'
  : !redisUrl
    ? 'BRISK_TEST_REDIS_URL is not set (CI sets it): no Redis for the workers to share'
    : false

describe('brisk serve --workers 2 on PostgreSQL with Redis', { skip }, () => {
  let server: StartedServer
  let url: string
  let authorization: string
  let pids: Set<number>

  before(async () => {
    const factories = import('../../test/factories.ts')
    const databaseUrl = await createDatabase()
    const env = {
      BRISK_DATABASE_URL: databaseUrl,
      BRISK_REDIS_URL: redisUrl!,
      BRISK_CACHE_PREFIX: `test_workers_${randomBytes(4).toString('hex')}`,
      BRISK_CACHE_MEMORY_MB: String(CACHE_MEMORY_MB),
      BRISK_DB_POOL_SIZE: String(POOL_SIZE),
      BRISK_PORT: '0',
      BRISK_LOG_LEVEL: 'info',
      BRISK_SHUTDOWN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
    }
    server = await startServer(process.execPath, [BRISK_BIN, 'serve', '--workers', '2'], { cwd, env, readyWithinMs: 45_000 })
    url = server.ready.url
    // The primary has migrated by now: the token goes straight into the database.
    const { connectPostgres } = await import('../infra/db/connect.ts')
    const db = connectPostgres({ url: databaseUrl, poolSize: 1, statementTimeoutMs: 0 })
    try {
      authorization = (await (await factories).createToken(db, 'admin')).authorization
    } finally {
      await db.close()
    }
    pids = await workerPids(url, 2)
  })

  test("one port, two worker processes; the ready line is the primary's, printed once", () => {
    assert.equal(server.ready.pid, server.child.pid, 'the pid started is the primary, which prints the ready line')
    assert.equal(server.ready.workers, 2)
    assert.equal(server.output().match(/"msg":"Brisk is ready"/g)?.length, 1)
    assert.equal(pids.size, 2, 'both workers answered')
    assert.ok(!pids.has(server.ready.pid), 'the primary serves no requests')
  })

  test('/metrics on one worker sums every worker: requests, pool and cache figures; process memory per worker', async () => {
    const served = new Map<number, number>()
    for (let i = 0; i < 20; i++) {
      const answer = await get(`${url}/api/does-not-exist`)
      assert.equal(answer.status, 404)
      served.set(answer.worker!, (served.get(answer.worker!) ?? 0) + 1)
    }
    assert.equal(served.size, 2, `both workers served some: ${JSON.stringify([...served])}`)
    const sent = requestsSent
    const scrape = await get(`${url}/metrics`, { authorization })
    assert.equal(scrape.status, 200, scrape.body)
    const families = parsePrometheusText(scrape.body)

    // Each worker counts only its own requests: the sum is every request this file sent (the scrape counts once it is answered).
    const counts = families.get('brisk_http_request_duration_seconds')!.samples.filter((s) => s.name.endsWith('_count'))
    assert.equal(
      counts.reduce((sum, s) => sum + s.value, 0),
      sent,
    )
    assert.equal(sampleValue(families, 'brisk_http_request_duration_seconds_count', { route: 'unmatched', status: '404' }), 20)
    assert.equal(sampleValue(families, 'brisk_db_pool_max_connections', { pool: 'primary' }), 2 * POOL_SIZE)
    assert.equal(sampleValue(families, 'brisk_cache_memory_max_bytes', {}), 2 * CACHE_MEMORY_MB * 1024 * 1024)
    assert.equal(sampleValue(families, 'brisk_cluster_workers', { state: 'answered' }), 2)

    const memory = families.get('process_resident_memory_bytes')!.samples
    assert.deepEqual(memory.map((s) => s.labels['worker']).sort(), ['1', '2', 'primary'])
  })

  test('a worker killed with SIGKILL is started again; meanwhile every request is answered', async () => {
    const [victim, survivor] = [...pids] as [number, number]
    const from = server.output().length
    process.kill(victim, 'SIGKILL')
    // Once the primary has seen the death it hands no connection to the dead worker.
    const seen = await logLine(server, /was killed by SIGKILL; starting it again/, from)
    assert.match(seen, new RegExp(`"workerPid":${victim}`))
    let restarted = false
    const restart = logLine(server, /"msg":"worker \d is serving again"/, from).finally(() => {
      restarted = true
    })
    const during: Answer[] = []
    while (!restarted) during.push(await get(`${url}/health/live`))
    await restart
    assert.deepEqual(
      during.filter((a) => a.status !== 200 || a.worker === victim),
      [],
      `${during.length} requests while the worker restarted`,
    )

    const now = await workerPids(url, 2)
    assert.equal(now.size, 2, 'two workers again')
    assert.ok(now.has(survivor) && !now.has(victim), 'the killed one was replaced')
    const scrape = await get(`${url}/metrics`, { authorization })
    assert.equal(sampleValue(parsePrometheusText(scrape.body), 'brisk_cluster_worker_restarts_total', {}), 1)
    pids = now
  })

  test('SIGTERM to the primary drains every worker; all exit, the primary with code 0', async () => {
    const from = server.output().length
    process.kill(server.child.pid!, 'SIGTERM')
    const exit = await server.exited
    assert.deepEqual(exit, { code: 0, signal: null }, server.output())
    for (const pid of pids) assert.ok(await waitUntilGone(pid, 1000), `worker ${pid} exited`)
    const draining = server.output().slice(from).match(/"signal":"SIGTERM","msg":"shutting down: draining requests/g)
    assert.equal(draining?.length, 2, 'each worker drained')
    assert.equal(await acceptsConnections(url), false)
  })
})
