import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { after, test } from 'node:test'
import { Redis } from 'ioredis'
import { runBrisk, tempDir } from './cli.test-support.ts'

const redisUrl = process.env['BRISK_TEST_REDIS_URL'] || undefined
const cwd = tempDir('brisk-cache-cli-')
after(() => fs.rmSync(cwd, { recursive: true, force: true }))

test('brisk cache warm, stats and clear on a seeded shop, through Redis', { skip: redisUrl ? false : 'BRISK_TEST_REDIS_URL is not set (CI sets it)' }, async () => {
  const env = { BRISK_DATA_DIR: `${cwd}/data`, BRISK_REDIS_URL: redisUrl!, BRISK_CACHE_PREFIX: `cli-${randomBytes(6).toString('hex')}` }
  const seeded = await runBrisk(['seed'], { cwd, env })
  assert.equal(seeded.code, 0, seeded.stderr)

  const warmed = await runBrisk(['cache', 'warm'], { cwd, env })
  assert.equal(warmed.code, 0, warmed.stderr)
  assert.match(warmed.stdout, /warmed 240 products, 8 categories, 2 locations/)

  const stats = await runBrisk(['cache', 'stats', '--json'], { cwd, env })
  assert.equal(stats.code, 0, stats.stderr)
  const report = JSON.parse(stats.stdout)
  assert.equal(report.redisKeys.product, 240, 'one Redis entry per product warmed')
  assert.equal(report.redisKeys.category, 8)
  assert.equal(report.sizing.sampled, 240)
  assert.ok(report.sizing.jsonBytesPerProduct > 100, 'a product is a few hundred bytes of JSON')
  assert.ok(report.sizing.memoryBytesPerProduct > report.sizing.jsonBytesPerProduct, 'decoded on the heap it takes more')
  assert.ok(report.sizing.redisBytesPerProduct > 0)

  const text = await runBrisk(['cache', 'stats'], { cwd, env })
  assert.match(text.stdout, /memory tier \d+ bytes per product, [\d.]+ MiB per 10k products/)

  const cleared = await runBrisk(['cache', 'clear', 'product'], { cwd, env })
  assert.equal(cleared.code, 0, cleared.stderr)
  const redis = new Redis(redisUrl!)
  try {
    const keys = (pattern: string) => redis.keys(`${env.BRISK_CACHE_PREFIX}:${pattern}`)
    assert.equal((await keys('product:*')).length, 0, 'the products are gone')
    assert.equal((await keys('category:*')).length, 8, 'other kinds are kept')
    const all = await runBrisk(['cache', 'clear'], { cwd, env })
    assert.equal(all.code, 0, all.stderr)
    assert.deepEqual(await keys('*'), [])
  } finally {
    redis.disconnect()
  }
})
