/**
 * Seed 003's "before": the input read row by row, each lookup a query of its own (SKU → product,
 * the customer, the existing row), then an insert or update per row — all in one long transaction,
 * the way the seed's batch ran.
 */
import fs from 'node:fs'
import { createInterface } from 'node:readline'
import type { Transaction } from 'kysely'
import type { Database, Db } from '../../infra/db/database.ts'
import type { Operation } from './options.ts'
import type { World } from './setup.ts'

type Trx = Transaction<Database>
type Row = Record<string, string | number | null | undefined>
type Writer = (trx: Trx, row: Row, world: World) => Promise<void>

const productBySku = (trx: Trx, sku: unknown) =>
  trx.selectFrom('product').select(['id', 'base_unit']).where('sku', '=', String(sku)).executeTakeFirstOrThrow()

const view: Writer = async (trx, row) => {
  const product = await productBySku(trx, row['sku'])
  const customer = row['customerId'] == null ? null : await trx.selectFrom('customer').select('id').where('id', '=', Number(row['customerId'])).executeTakeFirstOrThrow()
  await trx
    .insertInto('product_view')
    .values({ product_id: product.id, customer_id: customer?.id ?? null, session_id: (row['sessionId'] as string) ?? null, source: String(row['source']), viewed_at: String(row['viewedAt']) })
    .execute()
}

const score: Writer = async (trx, row) => {
  const product = await productBySku(trx, row['sku'])
  const customer = await trx.selectFrom('customer').select('id').where('id', '=', Number(row['customerId'])).executeTakeFirstOrThrow()
  const key = { customer_id: customer.id, product_id: product.id, algorithm: String(row['algorithm']) }
  const found = await trx.selectFrom('recommendation_score').select('score').where('customer_id', '=', key.customer_id)
    .where('product_id', '=', key.product_id).where('algorithm', '=', key.algorithm).executeTakeFirst()
  if (found) {
    await trx.updateTable('recommendation_score').set({ score: String(row['score']), updated_at: new Date() }).where('customer_id', '=', key.customer_id)
      .where('product_id', '=', key.product_id).where('algorithm', '=', key.algorithm).execute()
  } else {
    await trx.insertInto('recommendation_score').values({ ...key, score: String(row['score']) }).execute()
  }
}

const stock: Writer = async (trx, row, world) => {
  const product = await productBySku(trx, row['sku'])
  const location = await trx.selectFrom('location').select('id').where('id', '=', world.locationId).executeTakeFirstOrThrow()
  const level = await trx.selectFrom('stock_level').select('quantity').where('location_id', '=', location.id).where('product_id', '=', product.id).forUpdate().executeTakeFirst()
  const delta = Number(row['quantity']) - Number(level?.quantity ?? 0)
  if (delta === 0) return
  if (level) {
    await trx.updateTable('stock_level').set({ quantity: String(row['quantity']), updated_at: new Date() }).where('location_id', '=', location.id).where('product_id', '=', product.id).execute()
  } else {
    await trx.insertInto('stock_level').values({ location_id: location.id, product_id: product.id, quantity: String(row['quantity']) }).execute()
  }
  await trx.insertInto('stock_ledger').values({ location_id: location.id, product_id: product.id, delta: String(delta), reason: 'count', reference: 'bench:naive', token_id: null }).execute()
}

const product: Writer = async (trx, row) => {
  const category = await trx.selectFrom('category').select('id').where('name', '=', String(row['category'])).executeTakeFirstOrThrow()
  const found = await trx.selectFrom('product').select('id').where('sku', '=', String(row['sku'])).executeTakeFirst()
  const values = {
    name: String(row['name']),
    barcode: String(row['barcode']),
    base_unit: String(row['baseUnit']),
    price: String(row['price']),
    tax_rate: String(row['taxRate']),
    active: Boolean(row['active']),
    category_id: category.id,
  }
  const id = found
    ? (await trx.updateTable('product').set(values).where('id', '=', found.id).returning('id').executeTakeFirstOrThrow()).id
    : (await trx.insertInto('product').values({ sku: String(row['sku']), ...values }).returning('id').executeTakeFirstOrThrow()).id
  for (const unit of row['units'] as unknown as { unit: string; factor: string; barcode?: string }[]) {
    const known = await trx.selectFrom('unit').select('code').where('code', '=', unit.unit).executeTakeFirstOrThrow()
    const values = { factor: unit.factor, barcode: unit.barcode ?? null }
    await trx.insertInto('product_unit').values({ product_id: id, unit_code: known.code, ...values })
      .onConflict((oc) => oc.columns(['product_id', 'unit_code']).doUpdateSet(values)).execute()
  }
}

const WRITERS: Record<Operation, Writer> = { views: view, scores: score, stock, products: product }

/** Reads `file` line by line and writes each row on its own; answers the rows written (fewer when aborted). */
export async function naiveImport(db: Db, world: World, operation: Operation, file: string, watch: { signal: AbortSignal; done(n: number): void }): Promise<number> {
  const write = WRITERS[operation]
  let rows = 0
  await db.primary.transaction().execute(async (trx) => {
    for await (const line of createInterface({ input: fs.createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })) {
      if (watch.signal.aborted) break
      if (line.trim() === '') continue
      await write(trx, JSON.parse(line) as Row, world)
      rows += 1
      if (rows % 1000 === 0) watch.done(rows)
    }
  })
  return rows
}
