/**
 * `brisk db status` run as a user runs it: the test PostgreSQL as the primary and as a live replica,
 * a closed port as a dead one (or as a dead primary), a read-only session as a demoted primary,
 * and the embedded database.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, test } from 'node:test'
import { runBrisk, tempDir } from './cli.test-support.ts'

const url = process.env['BRISK_TEST_DATABASE_URL'] || undefined
const skip = url ? false : 'BRISK_TEST_DATABASE_URL is not set (CI sets it)'
const cwd = tempDir('brisk-db-cli-')
after(() => fs.rmSync(cwd, { recursive: true, force: true }))

/** The test PostgreSQL with a password (its trust auth ignores it; no output may show it), or at port 1 (nothing listens). */
function urlOf(changes: { dead?: boolean; readOnly?: boolean } = {}): string {
  const at = new URL(url!)
  at.password = 'hunter2'
  if (changes.dead) at.port = '1'
  if (changes.readOnly) at.searchParams.set('options', '-c default_transaction_read_only=on')
  return at.toString()
}

const TEST_PORT = () => new URL(url!).port || '5432'

function dbStatus(env: Record<string, string>, json = false) {
  return runBrisk(['db', 'status', ...(json ? ['--json'] : [])], { cwd, env: { BRISK_LOG_LEVEL: 'silent', ...env } })
}

const REPLICAS_LIVE_AND_DEAD = () => ({ BRISK_DATABASE_URL: urlOf(), BRISK_REPLICA_URLS: `${urlOf()},${urlOf({ dead: true })}` })

/**
 * Every run starts at once, each test awaits its own: a run is mostly starting Node and tsx, and
 * one after the other they would take most of the file's time limit on a busy machine.
 */
const runs = {
  help: runBrisk(['db', 'status', '--help'], { cwd }),
  // In memory: no data folder to create. Starting PGlite is most of the run: V8's baseline
  // compiler only for its WebAssembly, as scripts/run-tests.mjs does.
  embedded: runBrisk(['db', 'status'], { cwd, env: { BRISK_DATA_DIR: ':memory:' }, nodeArgs: ['--liftoff-only'] }),
  ...(url
    ? {
        replicasText: dbStatus(REPLICAS_LIVE_AND_DEAD()),
        replicasJson: dbStatus(REPLICAS_LIVE_AND_DEAD(), true),
        deadPrimary: dbStatus({ BRISK_DATABASE_URL: urlOf({ dead: true }), BRISK_REPLICA_URLS: urlOf() }, true),
        readOnly: dbStatus({ BRISK_DATABASE_URL: urlOf({ readOnly: true }) }),
      }
    : {}),
}

test('brisk db status --help explains the states and the exit code', async () => {
  const help = await runs.help
  assert.equal(help.code, 0, help.stderr)
  assert.match(help.stdout, /Exit code: 0 when the primary is up/)
  assert.match(help.stdout, /lagging/)
  assert.match(help.stdout, /--json/)
})

test('a primary with a live and a dead replica: a table, the same as JSON, exit 0, no password anywhere', { skip }, async () => {
  const text = (await runs.replicasText)!
  assert.equal(text.code, 0, text.stderr)
  const lines = text.stdout.split('\n')
  assert.match(lines[0]!, /^node\s+role\s+address\s+state\s+WAL position\s+lag bytes\s+lag ms$/)
  const port = TEST_PORT()
  assert.match(text.stdout, new RegExp(`^primary\\s+primary\\s+127\\.0\\.0\\.1:${port}/test\\s+up\\s+[0-9A-F]+/[0-9A-F]+\\s+-\\s+-$`, 'm'))
  assert.match(text.stdout, new RegExp(`^replica-1\\s+replica\\s+127\\.0\\.0\\.1:${port}/test\\s+up\\s+-\\s+0\\s+0$`, 'm'))
  assert.match(text.stdout, /^replica-2\s+replica\s+127\.0\.0\.1:1\/test\s+down\s+-\s+-\s+-$/m)
  assert.match(text.stdout, /replica-1 replays no WAL: it is not in recovery/, 'the test server plays a replica but is none')
  assert.doesNotMatch(text.stdout + text.stderr, /hunter2/)

  const json = (await runs.replicasJson)!
  assert.equal(json.code, 0, json.stderr)
  assert.doesNotMatch(json.stdout + json.stderr, /hunter2/)
  const report = JSON.parse(json.stdout)
  assert.equal(report.kind, 'postgres')
  assert.equal(report.primaryUp, true)
  assert.equal(report.maxLagMs, 1000)
  assert.deepEqual(
    report.nodes.map((n: { name: string; role: string; state: string }) => [n.name, n.role, n.state]),
    [
      ['primary', 'primary', 'up'],
      ['replica-1', 'replica', 'up'],
      ['replica-2', 'replica', 'down'],
    ],
  )
  assert.match(report.nodes[0].walLsn, /^[0-9A-F]+\/[0-9A-F]+$/)
  assert.deepEqual(report.nodes[2], {
    name: 'replica-2',
    role: 'replica',
    address: '127.0.0.1:1/test',
    state: 'down',
    walLsn: null,
    lagBytes: null,
    lagMs: null,
  })
})

test('a dead primary: exit 1, the reason, and the replicas unknown (their lag is measured against it)', { skip }, async () => {
  const json = (await runs.deadPrimary)!
  assert.equal(json.code, 1, json.stderr)
  const report = JSON.parse(json.stdout)
  assert.equal(report.primaryUp, false)
  const [primary, replica] = report.nodes
  assert.deepEqual([primary.state, primary.address, primary.walLsn], ['down', '127.0.0.1:1/test', null])
  assert.match(primary.error, /ECONNREFUSED/)
  assert.equal(replica.state, 'unknown')
})

test('a read-only primary without replicas: exit 1, and it says there are none', { skip }, async () => {
  const text = (await runs.readOnly)!
  assert.equal(text.code, 1, text.stderr)
  assert.match(text.stdout, /^primary\s+primary\s+\S+\s+read-only\s+[0-9A-F]+\/[0-9A-F]+/m)
  assert.match(text.stdout, /writes are refused/)
  assert.match(text.stdout, /No replicas \(BRISK_REPLICA_URLS is not set\)/)
  assert.equal(text.stdout.trim().split('\n').filter((l) => /^(primary|replica)/.test(l)).length, 1, 'just the primary')
})

test('the embedded database: the primary, and plainly no replicas', async () => {
  const text = await runs.embedded
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /^primary\s+primary\s+embedded PGlite \(in memory\)\s+up\s+[0-9A-F]+\/[0-9A-F]+/m)
  assert.match(text.stdout, /No replicas: the primary is the embedded database \(PGlite\), which has none/)
})
