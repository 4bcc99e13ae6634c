/**
 * Seed 003's original problem: a big batch blocked the shop. Here a stock count of the very
 * products the tills are selling is imported in chunks while four tills sell them: no sale fails,
 * every sale and the count land, and the ledger still adds up to the stock.
 */
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { describeEachDatabase } from '../../../test/db.ts'
import { addStock, createLocation, createProducts, createToken, ledgerSum, stockOf } from '../../../test/factories.ts'
import type { Db } from '../../infra/db/database.ts'
import { createSalesService } from '../sales/index.ts'
import { runImport } from './imports.engine.ts'
import { stockKind } from './imports.stock.ts'
import { viewsKind } from './imports.views.ts'

const TILLS = 4
const PRODUCTS = 40

/** A location with `count` products in stock, and a manager to sell there. */
async function shop(db: Db, count: number, stock: string) {
  const location = await createLocation(db)
  const products = await createProducts(db, count)
  await addStock(db, location.id, products.map((p) => ({ productId: p.id, quantity: stock })))
  const { principal } = await createToken(db, 'manager')
  return { location, products, principal }
}

describeEachDatabase('imports: the shop keeps selling', (ctx) => {
  test('four tills sell the products a stock count is importing, chunk by chunk: 0 till errors, the ledger adds up', async () => {
    const { location, products, principal } = await shop(ctx.db, PRODUCTS, '100000')
    const sales = createSalesService(ctx.db)
    let importing = true
    const failures: unknown[] = []
    let sold = 0
    const till = async (t: number) => {
      for (let i = 0; importing || i < 3; i++) {
        const product = products[(t * 7 + i) % PRODUCTS]!
        try {
          await sales.createInvoice(principal, {
            locationId: location.id,
            lines: [{ productId: product.id, quantity: 1 }],
            payments: [{ method: 'cash', amount: '100' }],
            submit: true,
          })
          sold += 1
        } catch (error) {
          failures.push(error)
        }
        await new Promise(setImmediate)
      }
    }
    // every product counted 25 times over (1,000 lines, chunks of 20): each chunk locks stock rows the tills want
    const lines = ['sku,quantity', ...Array.from({ length: 1000 }, (_, i) => `${products[i % PRODUCTS]!.sku},${50000 + i}`)]
    const tills = Array.from({ length: TILLS }, (_, t) => till(t))
    const summary = await runImport(ctx.db, stockKind, {
      source: 'count.csv',
      input: Readable.from([`${lines.join('\n')}\n`]),
      options: { locationId: location.id },
      chunkSize: 20,
    })
    importing = false
    await Promise.all(tills)
    assert.deepEqual(failures, [])
    assert.ok(sold >= TILLS * 3, `${sold} sales`)
    assert.deepEqual([summary.rowsWritten > 0, summary.rowsRejected, summary.chunks], [true, 0, 50])
    for (const product of products) {
      assert.equal(Number(await stockOf(ctx.db, location.id, product.id)), Number(await ledgerSum(ctx.db, location.id, product.id)), `product ${product.id}`)
    }
  })

  test('a views import alongside the tills: the tills never fail and every view lands', async () => {
    const { location, products, principal } = await shop(ctx.db, 5, '1000')
    const sales = createSalesService(ctx.db)
    let importing = true
    const failures: unknown[] = []
    const till = async () => {
      while (importing) {
        await sales
          .createInvoice(principal, {
            locationId: location.id,
            lines: [{ productId: products[0]!.id, quantity: 1 }],
            payments: [{ method: 'cash', amount: '100' }],
            submit: true,
          })
          .catch((error: unknown) => failures.push(error))
        await new Promise(setImmediate)
      }
    }
    const tills = Array.from({ length: TILLS }, till)
    const views = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ sku: products[i % 5]!.sku, sessionId: `s${i}` }))
    const summary = await runImport(ctx.db, viewsKind, { source: 'views.jsonl', input: Readable.from([`${views.join('\n')}\n`]), chunkSize: 100 })
    importing = false
    await Promise.all(tills)
    assert.deepEqual(failures, [])
    assert.equal(summary.rowsWritten, 2000)
  })
})
