import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { ConfigError, loadConfig, refuseUnbuiltSettings, renderConfigDoc, renderEnvExample } from './config.ts'

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
  assert.deepEqual(loadConfig({ BRISK_REPLICA_URLS: 'postgres://a/x, postgres://b/x' }).replicaUrls, [
    'postgres://a/x',
    'postgres://b/x',
  ])
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

test('Redis and replica settings are refused at start until their features are built, naming the variable', () => {
  assert.doesNotThrow(() => refuseUnbuiltSettings(loadConfig({})))
  assert.throws(
    () => refuseUnbuiltSettings(loadConfig({ BRISK_REDIS_URL: 'redis://x' })),
    (e: Error) => e instanceof ConfigError && /BRISK_REDIS_URL is set, but the Redis cache tier is not built yet/.test(e.message),
  )
  assert.throws(
    () => refuseUnbuiltSettings(loadConfig({ BRISK_REPLICA_URLS: 'postgres://a/x' })),
    (e: Error) => e instanceof ConfigError && /BRISK_REPLICA_URLS is set, but read replica routing is not built yet/.test(e.message),
  )
})
