import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { newQueryStats, runWithQueryStats } from './query-stats.ts'
import { currentReadFloor, formatLsn, isLsn, PRIMARY_ONLY, parseLsn, raiseReadFloor, requireFreshReads } from './read-floor.ts'

test('a WAL position reads and prints as PostgreSQL does, and compares as a number', () => {
  assert.equal(parseLsn('0/16B3748'), 0x16b3748n)
  assert.equal(parseLsn('1/0'), 1n << 32n)
  assert.ok(parseLsn('1/0') > parseLsn('0/FFFFFFFF'))
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (lsn) => parseLsn(formatLsn(lsn)) === lsn))
  for (const bad of ['', '0/', '/1', '0x1/2', '1/2/3', 'G/1', '123456789/0']) {
    assert.equal(isLsn(bad), false, bad)
    assert.throws(() => parseLsn(bad), /not a WAL position/)
  }
})

test('a request floor only rises; its session lookup runs once, on the first replica read; fresh reads go to the primary', async () => {
  const stats = newQueryStats()
  let lookups = 0
  stats.pendingFloor = async () => {
    lookups++
    return 50n
  }
  await runWithQueryStats(stats, async () => {
    raiseReadFloor(100n)
    assert.equal(await currentReadFloor(), 100n, 'the larger of the header and the session')
    raiseReadFloor(20n)
    assert.equal(await currentReadFloor(), 100n)
    requireFreshReads()
    assert.equal(await currentReadFloor(), PRIMARY_ONLY)
  })
  assert.equal(lookups, 1)
  assert.equal(await currentReadFloor(), undefined, 'outside a request: any replica')
})
