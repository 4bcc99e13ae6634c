import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { describeEachDatabase } from '../../test/db.ts'
import { createLocation, createProducts, stockOf } from '../../test/factories.ts'
import { runBrisk, STACK_LINE, tempDir } from './cli.test-support.ts'
import { importFileForCli, summaryText } from './import.ts'

const quietStream = () => {
  const written: string[] = []
  return { written, stream: { isTTY: false, write: (chunk: string) => written.push(chunk) } }
}

describeEachDatabase('cli: brisk import', (ctx) => {
  test('a stock count file with a rejects file and a JSON summary; run again, the counts change nothing', async () => {
    const dir = tempDir('brisk-import-')
    const location = await createLocation(ctx.db)
    const products = await createProducts(ctx.db, 3)
    const file = path.join(dir, 'counts.csv')
    fs.writeFileSync(file, `sku,quantity,unit\n${products.map((p) => `${p.sku},4,`).join('\n')}\nNOPE,1,\n${products[0]!.sku},"1,5",\n`)
    const rejects = path.join(dir, 'rejects.csv')
    const { stream } = quietStream()
    const summary = await importFileForCli(ctx.db, 'stock', file, { location: location.code, rejects, chunkSize: 2 }, stream)
    const json = JSON.parse(JSON.stringify(summary))
    assert.deepEqual([json.kind, json.rowsRead, json.rowsWritten, json.rowsRejected, json.chunks, json.batch.source], ['stock', 5, 3, 2, 3, 'counts.csv'])
    assert.equal(
      fs.readFileSync(rejects, 'utf8'),
      'line,field,why\n4,sku,no product with SKU NOPE\n5,quantity,"""1,5"" is not a non-negative number with at most 6 decimals"\n',
    )
    assert.match(summaryText(summary, rejects), /^Imported stock \(csv\): 5 rows read, 3 written, 2 rejected, 3 chunks\.\nBatch \d+ \(import run \d+\): \d+ statements/)
    assert.equal(Number(await stockOf(ctx.db, location.id, products[1]!.id)), 4)
    const again = await importFileForCli(ctx.db, 'stock', file, { location: location.code, chunkSize: 2 }, stream)
    assert.deepEqual([again.rowsWritten, again.resumed], [0, false])
    assert.match(summaryText(again), /Rejected rows \(line, field, why; --rejects FILE lists them all\):\n {2}4 {2}sku {2}no product with SKU NOPE/)
  })

  test('on a terminal the progress line shows rows/s and the ETA', async () => {
    const dir = tempDir('brisk-import-')
    const [p] = await createProducts(ctx.db, 1)
    const file = path.join(dir, 'views.jsonl')
    fs.writeFileSync(file, `${Array.from({ length: 30 }, (_, i) => JSON.stringify({ sku: p!.sku, sessionId: `s${i}` })).join('\n')}\n`)
    const written: string[] = []
    await importFileForCli(ctx.db, 'views', file, { chunkSize: 10 }, { isTTY: true, columns: 200, write: (chunk: string) => written.push(chunk) })
    assert.ok(written.some((w) => /30 rows · [\d,]+ rows\/s · 100% · ETA 0 s · 0 rejected/.test(w)), written.join(''))
  })
})

test('brisk import and brisk batches have help and refuse bad options before any database work', async () => {
  const cwd = tempDir('brisk-import-help-')
  const help = await runBrisk(['import', '--help'], { cwd })
  assert.equal(help.code, 0)
  assert.match(help.stdout, /Usage: brisk import \[options\] <kind> <file>/)
  assert.match(help.stdout, /--rejects <file>/)
  const batches = await runBrisk(['batches', '--help'], { cwd })
  assert.match(batches.stdout, /--operation <name>/)
  const bad = await runBrisk(['import', 'views', 'x.jsonl', '--chunk-size', '0'], { cwd })
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /a chunk size: a whole number from 1 to 100000/)
  const kind = await runBrisk(['import', 'orders', 'x.csv'], { cwd })
  assert.match(kind.stderr, /Allowed choices are products, stock, views, scores/)
  assert.doesNotMatch(kind.stderr, STACK_LINE)
  assert.equal(fs.existsSync(path.join(cwd, 'data')), false)
})

test('brisk import end to end on the embedded database: --json summary, rejects file, then brisk batches --json', async () => {
  const cwd = tempDir('brisk-import-run-')
  const env = { BRISK_DATA_DIR: path.join(cwd, 'data'), BRISK_SEED_DEMO: 'false' }
  fs.writeFileSync(path.join(cwd, 'views.csv'), 'sku,sessionId\nNOPE,s1\n,s2\n')
  const run = await runBrisk(['import', 'views', 'views.csv', '--json', '--rejects', 'rejects.csv'], { cwd, env })
  assert.equal(run.code, 0, run.stderr)
  const summary = JSON.parse(run.stdout)
  assert.deepEqual([summary.rowsRead, summary.rowsWritten, summary.rowsRejected, summary.batch.status], [2, 0, 2, 'failed'])
  assert.equal(fs.readFileSync(path.join(cwd, 'rejects.csv'), 'utf8'), 'line,field,why\n1,sku,no product with SKU NOPE\n2,sku,missing: a sku or a productId is needed\n')
  const listed = await runBrisk(['batches', '--json', '--operation', 'import.views'], { cwd, env })
  assert.equal(listed.code, 0, listed.stderr)
  assert.deepEqual(JSON.parse(listed.stdout).items.map((b: { id: number }) => b.id), [summary.batchId])
  const refused = await runBrisk(['import', 'views', 'rejects.csv'], { cwd, env })
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /neither JSON Lines nor a CSV whose header names the columns sku\|productId/)
})
