import assert from 'node:assert/strict'
import { test } from 'node:test'
import { currentQueryStats, newQueryStats, type QueryStats, runWithQueryStats } from '../../infra/db/query-stats.ts'
import type { Principal } from './access.service.ts'
import { createTokenCache, TOKEN_CACHE_SECONDS } from './access.token-cache.ts'

const cashier: Principal = { tokenId: 7, name: 'till', role: 'cashier', locationIds: null }
const BOUND_MS = TOKEN_CACHE_SECONDS * 1000

/**
 * A database with one token, a clock moved by hand, and every read recorded with the query stats
 * it ran under. `hold()` makes the next reads wait until `release()`.
 */
function setup() {
  let clock = 1_000_000
  let active = true
  let gate: Promise<void> | undefined
  let open: () => void = () => {}
  const reads: { at: number; stats: QueryStats | undefined }[] = []
  let failing = false
  const cache = createTokenCache(
    async () => {
      reads.push({ at: clock, stats: currentQueryStats() })
      const answer = active ? cashier : null
      if (gate) await gate
      if (failing) throw new Error('connection refused')
      return answer
    },
    { now: () => clock },
  )
  return {
    cache,
    reads,
    advance: (ms: number) => {
      clock += ms
    },
    revokeElsewhere: () => {
      active = false
    },
    fail: () => {
      failing = true
    },
    hold: () => {
      gate = new Promise((resolve) => {
        open = resolve
      })
    },
    release: () => {
      gate = undefined
      open()
    },
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

test(`an entry expires ${TOKEN_CACHE_SECONDS} s after its read began, even when the read was slow`, async () => {
  const t = setup()
  t.hold()
  const first = t.cache.get('h')
  t.advance(300)
  t.release()
  assert.equal(await first, cashier)
  // revoked just after the read saw the token active; the next request comes exactly the bound after the read began
  t.revokeElsewhere()
  t.advance(BOUND_MS - 300)
  assert.equal(await t.cache.get('h'), null)
  assert.equal(t.reads.length, 2)
  assert.equal(t.reads[1]!.at - t.reads[0]!.at, BOUND_MS)
})

test('a token in use is read again in the background after half the bound, outside the request that started it', async () => {
  const t = setup()
  await t.cache.get('h')
  t.advance(BOUND_MS / 2 - 1)
  await t.cache.get('h')
  assert.equal(t.reads.length, 1, 'not yet')
  t.advance(1)
  t.revokeElsewhere()
  const request = newQueryStats()
  assert.equal(await runWithQueryStats(request, () => t.cache.get('h')), cashier, 'the request does not wait for the read')
  await settle()
  assert.equal(t.reads.length, 2)
  assert.ok(t.reads[1]!.stats && t.reads[1]!.stats !== request, 'the background read is not counted in the request')
  assert.equal(await t.cache.get('h'), null, 'refused as soon as the background read saw the revocation')
})

test('concurrent requests with an uncached token wait for one read', async () => {
  const t = setup()
  t.hold()
  const answers = Promise.all(Array.from({ length: 8 }, () => t.cache.get('h')))
  t.release()
  assert.deepEqual(await answers, Array(8).fill(cashier))
  assert.equal(t.reads.length, 1)
})

test('forget: refused at once, and a read that began before it is neither joined nor cached', async () => {
  const t = setup()
  t.hold()
  const before = t.cache.get('h')
  t.revokeElsewhere()
  t.cache.forget(cashier.tokenId!)
  const after = t.cache.get('h')
  t.release()
  assert.equal(await before, cashier, 'the request that was already waiting gets what its read saw')
  assert.equal(await after, null)
  assert.equal(await t.cache.get('h'), null)
  assert.equal(t.reads.length, 2)

  const other = setup()
  await other.cache.get('h')
  other.revokeElsewhere()
  other.cache.forget(cashier.tokenId!)
  assert.equal(await other.cache.get('h'), null, 'a cached entry is dropped')
})

test('a failed background read leaves the entry to expire; the next read a request waits for fails', async () => {
  const t = setup()
  await t.cache.get('h')
  t.fail()
  t.advance(BOUND_MS / 2)
  assert.equal(await t.cache.get('h'), cashier)
  await settle()
  assert.equal(t.reads.length, 2)
  t.advance(BOUND_MS / 2)
  await assert.rejects(t.cache.get('h'), /connection refused/)
})
