import { sql } from 'kysely'
import type { Db } from '../../infra/db/database.ts'
import { createAccessService } from '../../modules/access/index.ts'
import { moveStockOrFail } from '../../modules/inventory/index.ts'
import { sellOnline } from '../checkout/shop.ts'

/** 2.50 + 10 % tax: what a till takes in cash for one unit. */
export const PRICE = { net: '2.50', taxRate: '10', gross: '2.75' }

export interface Sale {
  locationId: number
  productId: number
  /** a cashier's token for the tills, limited to the sale's location */
  tillToken: string
  code: string
}

/** A location with tills that sells online, one product, `units` of it, and a cashier's token. */
export async function setUpSale(db: Db, units: number): Promise<Sale> {
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`
  const code = `FLASH-${run}`
  await db.primary.insertInto('unit').values({ code: 'each', name: 'each' }).onConflict((oc) => oc.column('code').doNothing()).execute()
  const location = await db.primary
    .insertInto('location')
    .values({ code, name: `Flash sale ${run}`, allow_negative_stock: false })
    .returning('id')
    .executeTakeFirstOrThrow()
  await sellOnline(db, location.id)
  const product = await db.primary
    .insertInto('product')
    .values({ sku: code, name: 'Flash sale product', base_unit: 'each', price: PRICE.net, tax_rate: PRICE.taxRate })
    .returning('id')
    .executeTakeFirstOrThrow()
  await moveStockOrFail(
    db.primary,
    [{ locationId: location.id, productId: product.id, delta: String(units), reason: 'adjustment' as const, lines: [], sku: code }],
    { reference: `bench ${run}`, tokenId: null },
  )
  const { token } = await createAccessService(db).createToken({ name: `flash sale ${run}`, role: 'cashier', locations: [code] })
  return { locationId: location.id, productId: product.id, tillToken: token, code }
}

/** What the database says after the sale: units sold per channel, stock, and the ledger's sum. */
export async function countSale(db: Db, sale: Sale) {
  const { rows } = await sql<{ online: string; till: string; stock: string; ledger: string }>`
    select
      (select coalesce(sum(l.base_quantity), 0) from online_order_line l join online_order o on o.id = l.order_id
        where o.location_id = ${sale.locationId} and l.product_id = ${sale.productId})::text as online,
      (select coalesce(sum(l.base_quantity), 0) from sales_invoice_line l join sales_invoice i on i.id = l.invoice_id
        where i.location_id = ${sale.locationId} and i.status = 'submitted' and l.product_id = ${sale.productId})::text as till,
      (select quantity from stock_level where location_id = ${sale.locationId} and product_id = ${sale.productId})::text as stock,
      (select coalesce(sum(delta), 0) from stock_ledger where location_id = ${sale.locationId} and product_id = ${sale.productId})::text as ledger`.execute(
    db.primary,
  )
  const row = rows[0]!
  return { onlineSold: Number(row.online), tillSold: Number(row.till), stock: Number(row.stock), ledgerSum: Number(row.ledger) }
}
