import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import {
  CONFIG_VARIABLES,
  ConfigError,
  describeConfig,
  loadConfig,
  maskUrlPasswords,
  readEnvFile,
  renderConfigDoc,
  renderEnvExample,
  unknownVariables,
} from './config.ts'

const root = path.resolve(import.meta.dirname, '../..')

test('defaults give the embedded database on port 3000', () => {
  const config = loadConfig({})
  assert.equal(config.databaseUrl, undefined)
  assert.equal(config.dataDir, './data')
  assert.equal(config.port, 3000)
  assert.ok(Object.isFrozen(config))
})

test('bad values are refused with the variable named', () => {
  assert.throws(() => loadConfig({ BRISK_PORT: 'eighty' }), (e: Error) => e instanceof ConfigError && /BRISK_PORT/.test(e.message))
  assert.throws(() => loadConfig({ BRISK_DATABASE_URL: 'mysql://x' }), /BRISK_DATABASE_URL/)
  assert.throws(() => loadConfig({ BRISK_LOG_LEVEL: 'loud' }), /BRISK_LOG_LEVEL/)
  assert.throws(() => loadConfig({ BRISK_REPLICA_MAX_LAG_MS: '-1' }), /BRISK_REPLICA_MAX_LAG_MS/)
})

test('idempotency keys are kept 24 hours unless told otherwise, and at least an hour', () => {
  assert.equal(loadConfig({}).idempotencyKeyTtlHours, 24)
  assert.equal(loadConfig({ BRISK_IDEMPOTENCY_KEY_TTL_HOURS: '72' }).idempotencyKeyTtlHours, 72)
  for (const bad of ['0', '1.5', 'a day']) {
    assert.throws(() => loadConfig({ BRISK_IDEMPOTENCY_KEY_TTL_HOURS: bad }), /BRISK_IDEMPOTENCY_KEY_TTL_HOURS/)
  }
})

test('.env.example and docs/configuration.md match the schema (regenerate with `brisk config`)', () => {
  assert.equal(fs.readFileSync(path.join(root, '.env.example'), 'utf8'), renderEnvExample())
  assert.equal(fs.readFileSync(path.join(root, 'docs/configuration.md'), 'utf8'), renderConfigDoc())
})

test('replicas need a primary: set without BRISK_DATABASE_URL they are refused, naming both variables', () => {
  assert.throws(
    () => loadConfig({ BRISK_REPLICA_URLS: 'postgres://a/x' }),
    (e: Error) => e instanceof ConfigError && /BRISK_REPLICA_URLS needs BRISK_DATABASE_URL/.test(e.message),
  )
  const config = loadConfig({ BRISK_DATABASE_URL: 'postgres://p/x', BRISK_REPLICA_URLS: 'postgres://a/x, postgres://b/x' })
  assert.deepEqual(config.replicaUrls, ['postgres://a/x', 'postgres://b/x'])
  assert.equal(config.connectTimeoutMs, 3000)
})

test('the demo shop is seeded by default on the embedded database only; BRISK_SEED_DEMO decides when set', () => {
  assert.equal(loadConfig({}).seedDemo, true)
  assert.equal(loadConfig({ BRISK_DATABASE_URL: 'postgres://u@h/db' }).seedDemo, false)
  assert.equal(loadConfig({ BRISK_DATABASE_URL: 'postgres://u@h/db', BRISK_SEED_DEMO: 'true' }).seedDemo, true)
  assert.equal(loadConfig({ BRISK_SEED_DEMO: 'false' }).seedDemo, false)
  // the default follows the database wherever the URL comes from
  assert.equal(loadConfig({}, {}, { BRISK_DATABASE_URL: 'postgres://u@h/db' }).seedDemo, false)
  assert.throws(() => loadConfig({ BRISK_SEED_DEMO: 'yes' }), /BRISK_SEED_DEMO must be true or false/)
})

test('.env values apply, and the environment wins over them, even when set to empty', () => {
  const envFile = { BRISK_PORT: '4100', BRISK_HOST: '0.0.0.0', BRISK_LOG_LEVEL: 'warn' }
  const config = loadConfig({ BRISK_PORT: '4200', BRISK_LOG_LEVEL: '' }, {}, envFile)
  assert.equal(config.port, 4200)
  assert.equal(config.host, '0.0.0.0')
  assert.equal(config.logLevel, 'info')
  assert.equal(loadConfig({}, { port: 1 }, envFile).port, 1, 'overrides win over both')
})

test('readEnvFile parses a .env file and gives nothing for a missing one', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brisk-env-'))
  try {
    const file = path.join(dir, '.env')
    assert.deepEqual(readEnvFile(file), {})
    fs.writeFileSync(file, '# comment\nBRISK_PORT=4100\nBRISK_DATABASE_URL="postgres://u:p@h/db"\nexport BRISK_HOST=::1\n')
    assert.deepEqual(readEnvFile(file), { BRISK_PORT: '4100', BRISK_DATABASE_URL: 'postgres://u:p@h/db', BRISK_HOST: '::1' })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('describeConfig gives every value with its source, passwords masked, and a refused value without hiding the rest', () => {
  const entries = describeConfig(
    { BRISK_DATABASE_URL: 'postgres://brisk:s3cret@db.example:5432/brisk?password=other', BRISK_BODY_LIMIT_BYTES: 'lots' },
    { BRISK_PORT: '4100', BRISK_DATABASE_URL: 'postgres://ignored@x/y' },
  )
  const byName = new Map(entries.map((e) => [e.name, e]))
  assert.deepEqual(byName.get('BRISK_DATABASE_URL'), {
    name: 'BRISK_DATABASE_URL',
    value: 'postgres://brisk:***@db.example:5432/brisk?password=***',
    source: 'environment',
  })
  assert.deepEqual(byName.get('BRISK_PORT'), { name: 'BRISK_PORT', value: '4100', source: '.env' })
  assert.deepEqual(byName.get('BRISK_SEED_DEMO'), { name: 'BRISK_SEED_DEMO', value: 'false', source: 'default' })
  assert.match(byName.get('BRISK_BODY_LIMIT_BYTES')?.problem ?? '', /BRISK_BODY_LIMIT_BYTES must be a whole number/)
  assert.equal(entries.length, CONFIG_VARIABLES.length)
  assert.ok(!JSON.stringify(entries).includes('s3cret'))
})

test('passwords are masked in every URL of a value, and a refused URL does not echo its password', () => {
  assert.equal(maskUrlPasswords('postgres://a:x@h/d,postgres://b:y@h2/d'), 'postgres://a:***@h/d,postgres://b:***@h2/d')
  assert.equal(maskUrlPasswords('postgres://a@h/d'), 'postgres://a@h/d')
  assert.throws(
    () => loadConfig({ BRISK_DATABASE_URL: 'postgres://a:hunter2@h:port/d' }),
    (e: Error) => /BRISK_DATABASE_URL/.test(e.message) && !e.message.includes('hunter2'),
  )
})

test('unknown BRISK_ variables are reported as probably misspelt, test variables aside', () => {
  assert.deepEqual(unknownVariables({ BRISK_PROT: '1', BRISK_TEST_DATABASE_URL: 'x', PATH: '/bin' }, { BRISK_DATA_DIRR: 'x' }), [
    { name: 'BRISK_DATA_DIRR', source: '.env' },
    { name: 'BRISK_PROT', source: 'environment' },
  ])
})
