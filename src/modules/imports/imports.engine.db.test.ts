import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import { addStock, createLocation, createProducts, ledgerSum, stockOf } from '../../../test/factories.ts'
import { HEAD_BYTES } from './imports.input.ts'
import type { StatementKind } from './imports.kinds.ts'
import { runImport } from './imports.engine.ts'
import { stockKind } from './imports.stock.ts'
import { viewsKind } from './imports.views.ts'

const ndjson = (records: unknown[]) => Readable.from([records.map((r) => JSON.stringify(r)).join('\n')])
const viewCount = async (db: { primary: import('kysely').Kysely<import('../../infra/db/database.ts').Database> }) =>
  Number((await db.primary.selectFrom('product_view').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

/** A kind whose chunks fail after `chunks` have committed: an import killed halfway. */
function killedAfter<Row>(kind: StatementKind<Row>, chunks: number): StatementKind<Row> {
  let written = 0
  return {
    ...kind,
    chunkCtes: (rows, context) => {
      if (written === chunks) throw new Error('killed')
      written += 1
      return kind.chunkCtes(rows, context)
    },
  }
}

describeEachDatabase('imports: the engine', (ctx) => {
  test('views: bad rows are reported with their line numbers while the good rows land', async () => {
    const [p] = await createProducts(ctx.db, 1)
    const summary = await runImport(ctx.db, viewsKind, {
      source: 'views.jsonl',
      input: Readable.from(
        [
          JSON.stringify({ sku: p!.sku, customerId: 5 }),
          JSON.stringify({ sku: 'NOPE', sessionId: 's1' }),
          '{not json',
          JSON.stringify({ productId: p!.id, sessionId: 's2', source: 'app', viewedAt: '2026-01-31T12:00:00Z' }),
          JSON.stringify({ sku: p!.sku }),
          JSON.stringify({ productId: 999999999, customerId: 1 }),
        ].join('\n'),
      ),
    })
    assert.deepEqual(summary.rejects, [
      { line: 2, field: 'sku', message: 'no product with SKU NOPE' },
      { line: 3, field: '(record)', message: 'not valid JSON' },
      { line: 5, field: 'customerId', message: 'missing: a customerId or a sessionId is needed' },
      { line: 6, field: 'productId', message: 'no product 999999999' },
    ])
    assert.deepEqual([summary.rowsRead, summary.rowsWritten, summary.rowsRejected, summary.format], [6, 2, 4, 'ndjson'])
    const views = await ctx.db.primary.selectFrom('product_view').select(['product_id', 'source', 'session_id']).orderBy('id').execute()
    assert.deepEqual(views.map((v) => [v.product_id, v.source, v.session_id]), [
      [p!.id, 'import', null],
      [p!.id, 'app', 's2'],
    ])
    assert.deepEqual([summary.batch.operation, summary.batch.status, summary.batch.source, summary.batch.chunks], ['import.views', 'partial', 'views.jsonl', 1])
  })

  test('views: statements are ⌈N/chunk⌉ + 2 (a chunk is one statement with its run moved forward; the log opened with the run, then finished)', async () => {
    const products = await createProducts(ctx.db, 5)
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ sku: products[i % 5]!.sku, sessionId: `s${i}` }))
    const small = await countQueries(() => runImport(ctx.db, viewsKind, { source: 't', input: ndjson(rows(25)), chunkSize: 10 }))
    const large = await countQueries(() => runImport(ctx.db, viewsKind, { source: 't', input: ndjson(rows(50)), chunkSize: 10 }))
    assert.equal(small.count, 3 + 2)
    assert.equal(large.count, 5 + 2)
    assert.equal(await viewCount(ctx.db), 75)
  })

  test('strict: the first bad row stops the import; the chunks before it stay, nothing from its chunk on is written', async () => {
    const [p] = await createProducts(ctx.db, 1)
    const records = Array.from({ length: 30 }, (_, i) => (i === 14 ? { sku: 'NOPE', sessionId: 'x' } : { sku: p!.sku, sessionId: `s${i}` }))
    await assert.rejects(runImport(ctx.db, viewsKind, { source: 't', input: ndjson(records), chunkSize: 10, strict: true }), {
      code: 'IMPORTS_STRICT_REJECT',
      message: /^Line 15, sku: no product with SKU NOPE/,
    })
    assert.equal(await viewCount(ctx.db), 10)
    const records2 = records.map((r, i) => (i === 14 ? { sku: p!.sku } : r))
    await assert.rejects(runImport(ctx.db, viewsKind, { source: 't', input: ndjson(records2), chunkSize: 10, strict: true }), {
      code: 'IMPORTS_STRICT_REJECT',
      message: /^Line 15, customerId: missing/,
    })
    assert.equal(await viewCount(ctx.db), 20)
  })

  test('a killed import run again finishes with 0 duplicates, and its stock counted once', async () => {
    const products = await createProducts(ctx.db, 30)
    const location = await createLocation(ctx.db)
    await addStock(ctx.db, location.id, [{ productId: products[0]!.id, quantity: '10' }])
    const views = ndjson(products.map((p) => ({ sku: p.sku, sessionId: 's' })))
    const request = { source: 'views.jsonl', fingerprint: 'f-views', chunkSize: 10 }
    await assert.rejects(runImport(ctx.db, killedAfter(viewsKind, 2), { ...request, input: views }), /killed/)
    assert.equal(await viewCount(ctx.db), 20)
    const killedBatch = await ctx.db.primary.selectFrom('batch_log').select(['id', 'status', 'error']).executeTakeFirstOrThrow()
    assert.deepEqual([killedBatch.status, killedBatch.error], ['partial', 'killed'])
    // as kill -9 leaves them: the run and its batch still 'running'
    await ctx.db.primary.updateTable('import_run').set({ status: 'running' }).execute()
    await ctx.db.primary.updateTable('batch_log').set({ status: 'running', error: null }).execute()
    const resumed = await runImport(ctx.db, viewsKind, { ...request, input: ndjson(products.map((p) => ({ sku: p.sku, sessionId: 's' }))) })
    assert.deepEqual([resumed.resumed, resumed.rowsSkipped, resumed.rowsRead, resumed.rowsWritten, resumed.batch.resumed], [true, 20, 30, 30, true])
    const perProduct = await ctx.db.primary.selectFrom('product_view').select('product_id').groupBy('product_id').having((eb) => eb.fn.countAll(), '>', 1).execute()
    assert.equal(await viewCount(ctx.db), 30)
    assert.deepEqual(perProduct, [])
    const abandoned = await ctx.db.primary.selectFrom('batch_log').select(['status', 'error']).where('id', '=', killedBatch.id).executeTakeFirstOrThrow()
    assert.deepEqual([abandoned.status, abandoned.error], ['failed', `interrupted; continued by batch ${resumed.batchId}`])

    const counts = () => Readable.from([`sku,quantity\n${products.map((p) => `${p.sku},12`).join('\n')}\n`])
    const stock = { source: 'count.csv', fingerprint: 'f-count', chunkSize: 10, options: { locationId: location.id } }
    await assert.rejects(runImport(ctx.db, killedAfter(stockKind, 1), { ...stock, input: counts() }), /killed/)
    const killed = await ctx.db.primary.selectFrom('import_run').select(['id', 'status']).where('kind', '=', 'stock').executeTakeFirstOrThrow()
    assert.equal(killed.status, 'failed')
    const byId = await runImport(ctx.db, stockKind, { ...stock, fingerprint: null, resumeId: Number(killed.id), input: counts() })
    assert.deepEqual([byId.resumed, byId.rowsSkipped, byId.rowsWritten], [true, 10, 30])
    assert.equal(Number(await stockOf(ctx.db, location.id, products[0]!.id)), 12)
    assert.equal(Number(await ledgerSum(ctx.db, location.id, products[0]!.id)), 12)
    const ledgerRows = await ctx.db.primary.selectFrom('stock_ledger').select('id').where('reason', '=', 'count').execute()
    assert.equal(ledgerRows.length, 30)
  })

  test('a run moved on by another process meanwhile (the same import resumed twice at once) fails its chunk rather than write twice', async () => {
    const [p] = await createProducts(ctx.db, 1)
    // another process moves the run on after this one started it, before its first chunk
    async function* racingInput() {
      yield `${JSON.stringify({ sku: p!.sku, sessionId: 's0', padding: 'x'.repeat(HEAD_BYTES) })}\n`
      await ctx.db.primary.updateTable('import_run').set((eb) => ({ rows_committed: eb('rows_committed', '+', 10) })).execute()
      for (let i = 1; i < 10; i++) yield `${JSON.stringify({ sku: p!.sku, sessionId: `s${i}` })}\n`
    }
    await assert.rejects(runImport(ctx.db, viewsKind, { source: 't', input: racingInput(), chunkSize: 100 }), { code: 'IMPORTS_RUN_MOVED' })
    assert.equal(await viewCount(ctx.db), 0)
  })

  test('large chunks of views go by COPY on PostgreSQL (products looked up once per run), with the same rejects as the one-statement path', async () => {
    const [a, b] = await createProducts(ctx.db, 2)
    const rows = Array.from({ length: 5000 }, (_, i) =>
      i === 10 ? { sku: 'NOPE', sessionId: 's' } : i === 20 ? { productId: 999_999, sessionId: 's' } : { sku: [a!.sku, b!.sku][i % 2], sessionId: `s${i}`, source: 'app' },
    )
    const { result: summary, count } = await countQueries(() => runImport(ctx.db, viewsKind, { source: 't', input: ndjson(rows), chunkSize: 2500 }))
    assert.deepEqual([summary.rowsWritten, summary.rowsRejected, summary.chunks], [4998, 2, 2])
    assert.deepEqual(summary.rejects, [
      { line: 11, field: 'sku', message: 'no product with SKU NOPE' },
      { line: 21, field: 'productId', message: 'no product 999999' },
    ])
    assert.equal(await viewCount(ctx.db), 4998)
    // PostgreSQL: the log opened with the run; chunk 1 begin, lookup, COPY, the run moved, commit; chunk 2 the
    // same without the lookup (both products remembered); the log finished. PGlite: a statement a chunk.
    assert.equal(count, ctx.kind === 'postgres' ? 1 + 5 + 4 + 1 : 1 + 2 + 1)
  })

  test('an input that is neither CSV nor JSON Lines is refused before anything is written', async () => {
    const refused = async (input: Buffer | string, message: RegExp) => {
      const { count } = await countQueries(() =>
        assert.rejects(runImport(ctx.db, viewsKind, { source: 't', input: Readable.from([input]) }), { code: 'IMPORTS_UNKNOWN_FORMAT', message }),
      )
      assert.equal(count, 0)
    }
    await refused(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]), /binary/)
    await refused('[{"sku":"A"}]', /JSON array/)
    await refused('name;price\nA;1\n', /neither JSON Lines nor a CSV .* lacks sku\|productId/)
    await refused('', /empty/)
    await refused('{"sku": \n', /not JSON Lines/)
    const batches = await ctx.db.primary.selectFrom('batch_log').select('id').execute()
    assert.deepEqual(batches, [])
  })
})
