/**
 * Read-your-writes on a real primary with two streaming replicas, one of them applying WAL 5 s
 * late but still within the lag limit (so it keeps serving): every client that wrote reads what it
 * wrote — in the process it wrote through, in another process sharing Redis, or in a process that
 * knows only the Brisk-Min-Lsn header the client sends back — while clients that wrote nothing
 * keep reading from the replicas.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type BriskApp, buildApp } from '../../app.ts'
import { type ClusterApp, clusterConfig, clusterSkip, startClusterApp, startLoad, waitUntil } from '../../../test/cluster-app.ts'
import { statementsOf } from '../../../test/expect-queries.ts'
import { createToken } from '../../../test/factories.ts'
import { MIN_LSN_HEADER } from './read-your-writes.ts'

const redisUrl = process.env['BRISK_TEST_REDIS_URL'] || undefined
const skip = clusterSkip || (redisUrl ? false : 'BRISK_TEST_REDIS_URL is not set (CI sets it)')

const PAIRS = 10_000
/** what a writer answers once the pairs are all taken */
const DONE = -1
const WRITERS = 8
// the late replica stays "up": only the per-replica WAL check keeps a writer's read off it
const env = { BRISK_REPLICA_MAX_LAG_MS: '60000', BRISK_CACHE_PREFIX: `ryw-${process.pid}` }

let shop: ClusterApp | undefined
const apps: BriskApp[] = []
before(async () => {
  if (skip) return
  shop = await startClusterApp({ replicas: 2, products: WRITERS * 2, env: { ...env, BRISK_REDIS_URL: redisUrl! } })
  apps.push(await buildApp(clusterConfig(shop.cluster, { ...env, BRISK_REDIS_URL: redisUrl! })))
  apps.push(await buildApp(clusterConfig(shop.cluster, env))) // no Redis: knows only the header
})
after(async () => {
  for (const app of apps) await app.close()
  await shop?.close()
})

const servedByReplica = (headers: Record<string, unknown>) => /on replicas/.test(String(headers['server-timing']))

test('10,000 write-then-read pairs see 0 stale reads while clients that wrote nothing still read from the replicas', { skip, timeout: 300_000 }, async () => {
  const { app: a, cluster, primaryDb, productIds } = shop!
  const [c, headerOnly] = apps as [BriskApp, BriskApp]
  await cluster.setApplyDelay(0, 5000)
  // how each writer comes back: through the app it wrote to, another sharing Redis, or one told only by the header
  const routes: { write: BriskApp; read: BriskApp; sendHeader: boolean }[] = [
    { write: a, read: a, sendHeader: false },
    { write: a, read: c, sendHeader: false },
    { write: a, read: headerOnly, sendHeader: true },
    { write: c, read: a, sendHeader: false },
  ]
  const writers = await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => ({ ...routes[w % routes.length]!, ...(await createToken(primaryDb, 'admin')) })),
  )
  const readers = await Promise.all([0, 1].map(() => createToken(primaryDb, 'admin')))
  let stale = 0
  let writerReadsOnReplicas = 0
  let pairs = 0
  const writes = startLoad(WRITERS, async (w, i) => {
    if (pairs >= PAIRS) return DONE
    pairs++
    const { write, read, sendHeader, authorization } = writers[w]!
    const id = productIds[w]!
    const name = `writer ${w} change ${i}`
    const patched = await write.http.inject({ method: 'PATCH', url: `/api/products/${id}`, headers: { authorization }, payload: { name } })
    if (patched.statusCode !== 200) return patched.statusCode
    const position = String(patched.headers[MIN_LSN_HEADER])
    const got = await read.http.inject({
      url: `/api/products/${id}`,
      headers: { authorization, ...(sendHeader ? { [MIN_LSN_HEADER]: position } : {}) },
    })
    if (got.statusCode !== 200) return got.statusCode
    if (got.json().name !== name) stale++
    if (servedByReplica(got.headers)) writerReadsOnReplicas++
    return got.statusCode
  })
  let quietReads = 0
  let quietOnReplicas = 0
  const quiet = startLoad(2, async (r) => {
    const app = [a, c, headerOnly][quietReads % 3]!
    const got = await app.http.inject({
      url: `/api/products/${productIds[WRITERS + (quietReads % WRITERS)]}`,
      headers: { authorization: readers[r]!.authorization },
    })
    quietReads++
    if (servedByReplica(got.headers)) quietOnReplicas++
    await sleep(2) // a steady trickle beside the writers, not a third of the CPU
    return got.statusCode
  })
  try {
    await waitUntil(`${PAIRS} pairs are done`, () => pairs >= PAIRS, 280_000)
  } finally {
    const samples = await writes.stop()
    await quiet.stop()
    assert.deepEqual(samples.filter((s) => s.status !== 200 && s.status !== DONE), [], 'every write and read answered 200')
  }
  const late = a.db.replicas!.status().nodes[0]!
  assert.ok(late.lagBytes > 0 || late.lagMs > 0, 'replica-1 was behind the whole time')
  assert.equal(late.state, 'up', 'and still serving (within the lag limit)')
  assert.equal(stale, 0, `stale reads among ${PAIRS} write-then-read pairs`)
  const share = quietOnReplicas / quietReads
  assert.ok(share >= 0.9, `${(share * 100).toFixed(1)} % of ${quietReads} reads by clients that wrote nothing were served by replicas`)
  // not asserted: how many of the writers' own reads a caught-up replica could serve (the rest went to the primary)
  console.log(`writers' reads on replicas: ${writerReadsOnReplicas} of ${PAIRS}; quiet reads on replicas: ${quietOnReplicas} of ${quietReads}`)
})

test('Brisk-Min-Lsn goes out after a write only; one that is not a WAL position is refused, naming the header', { skip }, async () => {
  const { app, authorization, productIds } = shop!
  const read = await app.http.inject({ url: `/api/products/${productIds[0]}`, headers: { authorization } })
  assert.equal(read.statusCode, 200)
  assert.equal(read.headers[MIN_LSN_HEADER], undefined)
  const wrote = await app.http.inject({ method: 'PATCH', url: `/api/products/${productIds[0]}`, headers: { authorization }, payload: { name: 'n' } })
  // the token, BEGIN, lock, update, read back, COMMIT — and the primary's WAL position after it
  assert.equal(statementsOf(wrote), 7)
  assert.match(String(wrote.headers[MIN_LSN_HEADER]), /^[0-9A-F]+\/[0-9A-F]+$/)
  const refused = await app.http.inject({ method: 'PATCH', url: `/api/products/${productIds[0]}`, headers: { authorization }, payload: { price: 'x' } })
  assert.equal(refused.statusCode, 400, refused.body)
  assert.equal(refused.headers[MIN_LSN_HEADER], undefined, 'a refused write wrote nothing')
  const bad = await app.http.inject({ url: `/api/products/${productIds[0]}`, headers: { authorization, [MIN_LSN_HEADER]: 'yesterday' } })
  assert.equal(bad.statusCode, 422)
  assert.equal(bad.json().error.code, 'INVALID_MIN_LSN')
  assert.deepEqual(bad.json().error.details, { in: 'header', field: MIN_LSN_HEADER })
})
