/** Small factories for database tests: rows straight through Kysely, no HTTP. */
import type { Db } from '../src/infra/db/database.ts'
import { createAccessService, type Principal, type Role } from '../src/modules/access/index.ts'
import { moveStockOrFail } from '../src/modules/inventory/index.ts'

let sequence = 0
const next = () => ++sequence

export async function createUnits(db: Db, codes: string[] = ['each', 'box12', 'kg', 'g']): Promise<void> {
  await db.primary
    .insertInto('unit')
    .values(codes.map((code) => ({ code, name: code })))
    .onConflict((oc) => oc.column('code').doNothing())
    .execute()
}

export interface ProductFactoryInput {
  sku?: string
  price?: string
  taxRate?: string
  baseUnit?: string
  /** extra units: code → base units in one of them */
  units?: Record<string, string>
}

export async function createProduct(db: Db, input: ProductFactoryInput = {}) {
  await createUnits(db, [input.baseUnit ?? 'each', ...Object.keys(input.units ?? {})])
  const n = next()
  const product = await db.primary
    .insertInto('product')
    .values({
      sku: input.sku ?? `SKU-${n}`,
      barcode: null,
      name: `Product ${n}`,
      base_unit: input.baseUnit ?? 'each',
      price: input.price ?? '1.00',
      tax_rate: input.taxRate ?? '0',
      category_id: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  const units = Object.entries(input.units ?? {})
  if (units.length > 0) {
    await db.primary
      .insertInto('product_unit')
      .values(units.map(([code, factor]) => ({ product_id: product.id, unit_code: code, factor, barcode: null })))
      .execute()
  }
  return product
}

export async function createProducts(db: Db, count: number, input: ProductFactoryInput = {}) {
  await createUnits(db, [input.baseUnit ?? 'each'])
  const start = next()
  sequence += count
  return db.primary
    .insertInto('product')
    .values(
      Array.from({ length: count }, (_, i) => ({
        sku: `BULK-${start}-${i}`,
        barcode: null,
        name: `Bulk product ${start}-${i}`,
        base_unit: input.baseUnit ?? 'each',
        price: input.price ?? '1.00',
        tax_rate: input.taxRate ?? '0',
        category_id: null,
      })),
    )
    .returningAll()
    .execute()
}

export async function createLocation(db: Db, input: { code?: string; allowNegativeStock?: boolean } = {}) {
  const n = next()
  return db.primary
    .insertInto('location')
    .values({ code: input.code ?? `LOC-${n}`, name: `Location ${n}`, allow_negative_stock: input.allowNegativeStock ?? false })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** Puts stock in through the real movement path, so the ledger matches the level. */
export async function addStock(db: Db, locationId: number, stock: { productId: number; quantity: string }[]) {
  await db.primary.transaction().execute((trx) =>
    moveStockOrFail(
    trx,
    stock.map((s) => ({
      locationId,
      productId: s.productId,
      delta: s.quantity,
      reason: 'adjustment' as const,
      lines: [],
      sku: String(s.productId),
    })),
    { reference: 'test stock', tokenId: null },
  ))
}

export async function createToken(db: Db, role: Role, locations?: string[]) {
  const created = await createAccessService(db).createToken({ name: `test ${role}`, role, ...(locations ? { locations } : {}) })
  const principal: Principal = { tokenId: created.id, name: created.name, role: created.role, locationIds: created.locationIds }
  return { token: created.token, principal, authorization: `Bearer ${created.token}` }
}

export async function stockOf(db: Db, locationId: number, productId: number): Promise<string | undefined> {
  const row = await db.primary
    .selectFrom('stock_level')
    .select('quantity')
    .where('location_id', '=', locationId)
    .where('product_id', '=', productId)
    .executeTakeFirst()
  return row?.quantity
}

export async function ledgerSum(db: Db, locationId: number, productId: number): Promise<string> {
  const row = await db.primary
    .selectFrom('stock_ledger')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('delta'), eb.val('0')).as('total'))
    .where('location_id', '=', locationId)
    .where('product_id', '=', productId)
    .executeTakeFirstOrThrow()
  return String(row.total)
}
