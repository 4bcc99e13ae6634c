/**
 * The sessions' write positions: in memory without Redis, shared by every process with it, and —
 * when Redis cannot answer — sending the session to the primary rather than guessing.
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { findRedisServer, startRedisServer } from '../../../test/redis-server.ts'
import { PRIMARY_ONLY } from './read-floor.ts'
import { WrittenPositions } from './written-positions.ts'

const redisUrl = process.env['BRISK_TEST_REDIS_URL'] || undefined
const closers: (() => unknown)[] = []
after(async () => {
  for (const close of closers) await close()
})

function positions(options: ConstructorParameters<typeof WrittenPositions>[0]) {
  const made = new WrittenPositions(options)
  closers.push(() => made.close())
  return made
}

test('without Redis a session finds its own last write, the latest one, until it expires', async () => {
  const store = positions({ ttlMs: 200 })
  assert.equal(await store.floorOf('token:1'), undefined)
  await store.record('token:1', 300n)
  await store.record('token:1', 200n)
  assert.equal(await store.floorOf('token:1'), 300n, 'an older position never lowers it')
  assert.equal(await store.floorOf('token:2'), undefined, 'other sessions are not held back')
  await new Promise((resolve) => setTimeout(resolve, 250))
  assert.equal(await store.floorOf('token:1'), undefined)
})

test('with Redis another process finds the write as soon as the writer has recorded it', { skip: redisUrl ? false : 'BRISK_TEST_REDIS_URL is not set' }, async () => {
  const keyPrefix = `test-${process.pid}-${Date.now()}:`
  const writer = positions({ ttlMs: 5000, redisUrl, keyPrefix })
  const reader = positions({ ttlMs: 5000, redisUrl, keyPrefix })
  await Promise.all([writer.ready(5000), reader.ready(5000)])
  assert.equal(await reader.floorOf('token:7'), undefined)
  await writer.record('token:7', 0x5000000n)
  assert.equal(await reader.floorOf('token:7'), 0x5000000n)
  await reader.record('token:7', 0x4000000n)
  assert.equal(await writer.floorOf('token:7'), 0x5000000n, 'the shared position only rises')
})

const redisServer = findRedisServer()

test('when Redis does not answer, a session reads from the primary', { skip: 'missing' in redisServer ? redisServer.missing : false }, async () => {
  const redis = await startRedisServer((redisServer as { binary: string }).binary)
  closers.push(() => redis.remove())
  const store = positions({ ttlMs: 5000, redisUrl: redis.url, redisTimeoutMs: 200 })
  await store.ready(5000)
  assert.equal(await store.floorOf('token:1'), undefined)
  await redis.stop()
  assert.equal(await store.floorOf('token:1'), PRIMARY_ONLY)
})
