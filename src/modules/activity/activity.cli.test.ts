import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { sql } from 'kysely'
import { createProduct } from '../../../test/factories.ts'
import { runBrisk, STACK_LINE, tempDir } from '../../cli/cli.test-support.ts'
import { connectPglite } from '../../infra/db/connect.ts'
import { migrate } from '../../infra/db/migrations.ts'
import { insertViewsAged } from './activity.test-support.ts'

test('brisk prune views: help, bad arguments refused in one line, old views deleted in batches', async () => {
  const cwd = tempDir('brisk-cli-views-')
  try {
    const nowhere = { BRISK_DATABASE_URL: 'postgres://brisk@127.0.0.1:1/nowhere' }
    const [help, missing, bad] = await Promise.all([
      runBrisk(['prune', 'views', '--help'], { cwd }),
      runBrisk(['prune', 'views'], { cwd, env: nowhere }),
      runBrisk(['prune', 'views', '--older-than-days', '30', '--batch-size', '0'], { cwd, env: nowhere }),
    ])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /^Usage: brisk prune views[\s\S]*--older-than-days <days>[\s\S]*--batch-size <views>/)
    assert.notEqual(missing.code, 0)
    assert.match(missing.stderr, /--older-than-days/)
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /batch size/)
    assert.doesNotMatch(bad.stderr, STACK_LINE)

    const dataDir = path.join(cwd, 'data')
    const db = await connectPglite(dataDir)
    try {
      await migrate(db.primary)
      const product = await createProduct(db)
      await insertViewsAged(db, 2500, product.id, 40)
      await insertViewsAged(db, 10, product.id, 1)
    } finally {
      await db.close()
    }
    const run = await runBrisk(['prune', 'views', '--older-than-days', '30'], { cwd, env: { BRISK_DATA_DIR: dataDir } })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^Deleted 2500 product view\(s\) older than 30 day\(s\) in 3 batch\(es\), \d+ ms\.$/m)
    const after = await connectPglite(dataDir)
    try {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from product_view`.execute(after.primary)
      assert.equal(rows[0]!.n, 10)
    } finally {
      await after.close()
    }
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true })
  }
})
