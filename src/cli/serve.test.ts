import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, mock, test } from 'node:test'
import { InvalidArgumentError } from 'commander'
import type { SeedReport } from '../demo/seed-demo.ts'
import { BRISK_BIN, cleanEnv, runBrisk, STACK_LINE, tempDir } from './cli.test-support.ts'
import { UsageError } from './errors.ts'
import { announce, parseWorkers, refuseWorkers } from './serve.ts'
import { acceptsConnections, startServer, stopLeftovers, waitUntilGone } from './serve.test-support.ts'

const root = path.resolve(import.meta.dirname, '../..')
const DRAIN_TIMEOUT_MS = 5000
const folders: string[] = []

after(() => {
  stopLeftovers()
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true })
})

test('brisk serve: .env read, demo tokens in the JSON ready line, the CLI pointed at the running API, SIGTERM drains', async () => {
  const cwd = tempDir('brisk-serve-')
  folders.push(cwd)
  // The environment's port wins over the file's (port 1 could not be listened on); the file's data folder is used.
  fs.writeFileSync(path.join(cwd, '.env'), 'BRISK_DATA_DIR=./shop-data\nBRISK_PORT=1\n')
  const env = { BRISK_PORT: '0', BRISK_LOG_LEVEL: 'info', BRISK_SHUTDOWN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS) }
  const server = await startServer(process.execPath, [BRISK_BIN, 'serve'], { cwd, env })
  const { ready } = server

  assert.equal(ready.pid, server.child.pid, 'the pid that was started is the server itself, not a wrapper')
  assert.equal(ready.database, `embedded PGlite in ${path.join(cwd, 'shop-data')}`)
  assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.equal(ready.demo?.products, 240)
  const adminToken = ready.demo?.adminToken
  assert.match(adminToken ?? '', /^brisk_/)

  const refused = await runBrisk(['token', 'create', '--role', 'cashier', '--name', "Anna's till"], { cwd, env: {} })
  assert.equal(refused.code, 1)
  assert.doesNotMatch(refused.stderr, STACK_LINE)
  assert.match(refused.stderr, new RegExp(`in use by another Brisk process \\(pid ${ready.pid}: .*serving ${ready.url}\\)`))
  assert.match(refused.stderr, new RegExp(`kill ${ready.pid}`))
  const curl = refused.stderr.split('\n').find((line) => line.trim().startsWith('curl '))
  assert.ok(curl, refused.stderr)
  const created = JSON.parse(execFileSync('sh', ['-c', curl], { env: { ...cleanEnv(), ADMIN_TOKEN: adminToken! } }).toString())
  assert.equal(created.role, 'cashier')
  assert.equal(created.name, "Anna's till")
  assert.match(created.token, /^brisk_/)

  const signalled = Date.now()
  process.kill(server.child.pid!, 'SIGTERM')
  const exit = await server.exited
  assert.deepEqual(exit, { code: 0, signal: null }, server.output())
  assert.ok(Date.now() - signalled < DRAIN_TIMEOUT_MS, `stopped in ${Date.now() - signalled} ms`)
  assert.match(server.output(), /"signal":"SIGTERM".*shutting down/)
  assert.equal(fs.existsSync(path.join(cwd, 'shop-data', 'brisk.lock')), false, 'the database was closed and unlocked')
  assert.equal(await acceptsConnections(ready.url), false)
})

test('npm start: SIGTERM to npm stops the server it started, which drains and closes the database', async () => {
  const dataDir = tempDir('brisk-npm-start-')
  folders.push(dataDir)
  const env = {
    // set, even to '' (the default), so that a .env of the repository cannot point elsewhere
    BRISK_DATABASE_URL: '',
    BRISK_DATA_DIR: dataDir,
    BRISK_PORT: '0',
    BRISK_SEED_DEMO: 'false',
    BRISK_LOG_LEVEL: 'info',
    BRISK_SHUTDOWN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
  }
  const npm = await startServer('npm', ['start', '--silent'], { cwd: root, env })
  const serverPid = npm.ready.pid
  assert.notEqual(serverPid, npm.child.pid)
  assert.equal(npm.ready.demo, undefined, 'BRISK_SEED_DEMO=false')

  process.kill(npm.child.pid!, 'SIGTERM')
  assert.ok(await waitUntilGone(serverPid, DRAIN_TIMEOUT_MS), `the server (pid ${serverPid}) is still running`)
  await npm.exited
  assert.match(npm.output(), /"signal":"SIGTERM".*shutting down/)
  assert.equal(fs.existsSync(path.join(dataDir, 'brisk.lock')), false, 'the database was closed and unlocked')
})

const SEEDED: SeedReport = {
  seeded: true,
  products: 240,
  categories: 8,
  locations: 2,
  adminToken: 'brisk_admin',
  cashierToken: 'brisk_cashier',
  cashierLocation: 'MAIN',
}

function fakeApp(kind: 'pglite' | 'postgres') {
  const info = mock.fn((_fields: object, _message: string) => {})
  const app = { db: { kind, description: `the ${kind} database` }, http: { log: { info } } }
  return { app: app as unknown as Parameters<typeof announce>[0], info }
}

test('the ready banner: text on a terminal, a JSON log line otherwise, with the demo tokens only on the embedded database', (t) => {
  const log = t.mock.method(console, 'log', () => {})

  const embedded = fakeApp('pglite')
  announce(embedded.app, 'http://127.0.0.1:3000', SEEDED, false)
  assert.equal(log.mock.callCount(), 0)
  assert.deepEqual(embedded.info.mock.calls[0]?.arguments, [
    {
      url: 'http://127.0.0.1:3000',
      docs: 'http://127.0.0.1:3000/docs',
      database: 'the pglite database',
      demo: { products: 240, locations: 2, adminToken: 'brisk_admin', cashierToken: 'brisk_cashier', cashierLocation: 'MAIN' },
    },
    'Brisk is ready',
  ])

  const postgres = fakeApp('postgres')
  announce(postgres.app, 'http://127.0.0.1:3000', SEEDED, false)
  const fields = postgres.info.mock.calls[0]?.arguments[0] as { demo: object }
  assert.deepEqual(fields.demo, { products: 240, locations: 2 })
  assert.ok(!JSON.stringify(fields).includes('brisk_admin'))

  const terminal = fakeApp('pglite')
  announce(terminal.app, 'http://127.0.0.1:3000', SEEDED, true)
  assert.equal(terminal.info.mock.callCount(), 0)
  const text = String(log.mock.calls[0]?.arguments[0])
  assert.match(text, /Brisk is running at http:\/\/127\.0\.0\.1:3000/)
  assert.match(text, /admin token: +brisk_admin/)
})

test('--workers: a whole number from 1, or auto for one per core', () => {
  assert.equal(parseWorkers('1'), 1)
  assert.equal(parseWorkers('8'), 8)
  assert.equal(parseWorkers('auto'), os.availableParallelism())
  for (const bad of ['0', 'two', '1.5', '-1', '']) {
    assert.throws(() => parseWorkers(bad), InvalidArgumentError, bad)
    assert.throws(() => parseWorkers(bad), /a number of workers, or auto: a whole number from 1/)
  }
})

test('several workers: refused on the embedded database, and on PostgreSQL without Redis unless the cache is off', () => {
  const postgres = 'postgres://brisk@127.0.0.1:5432/brisk'
  const redis = 'redis://127.0.0.1:6379'
  const allowed = (config: Parameters<typeof refuseWorkers>[0], workers: number) => {
    try {
      refuseWorkers(config, workers)
      return 'allowed'
    } catch (error) {
      assert.ok(error instanceof UsageError)
      return error.message
    }
  }
  assert.equal(allowed({ databaseUrl: undefined, redisUrl: undefined, cache: true }, 1), 'allowed')
  assert.match(allowed({ databaseUrl: undefined, redisUrl: redis, cache: true }, 2), /embedded database .* belongs to one process/)
  assert.match(allowed({ databaseUrl: undefined, redisUrl: undefined, cache: false }, 2), /set BRISK_DATABASE_URL/)
  assert.match(allowed({ databaseUrl: postgres, redisUrl: undefined, cache: true }, 2), /needs Redis \(BRISK_REDIS_URL\).*or BRISK_CACHE=off/)
  assert.equal(allowed({ databaseUrl: postgres, redisUrl: undefined, cache: false }, 2), 'allowed')
  assert.equal(allowed({ databaseUrl: postgres, redisUrl: redis, cache: true }, 2), 'allowed')
})
