import type { Transaction } from 'kysely'
import type { Services } from '../app.ts'
import type { Database, Db } from '../infra/db/database.ts'
import { holdMigrationLock } from '../infra/db/migrations.ts'
import { Big, decimalString, money } from '../infra/decimal.ts'
import { issueToken } from '../modules/access/index.ts'
// Every write of the seed shares one transaction, and the catalog and inventory services each open
// their own; so the seed composes the repository statements those services are built from.
import { insertMissingCategories, replaceProductUnits, upsertProducts } from '../modules/catalog/catalog.repository.ts'
import { type LabelledMovement, moveStockOrFail } from '../modules/inventory/index.ts'
import { insertLocation, listStockLevels } from '../modules/inventory/inventory.repository.ts'
import { insertShippingMethod } from '../modules/orders/orders.repository.ts'

export interface SeedReport {
  seeded: boolean
  products: number
  categories: number
  locations: number
  adminToken?: string
  cashierToken?: string
  cashierLocation?: string
}

interface DemoCategory {
  name: string
  items: string[]
  /** how the category is sold */
  kind: 'each' | 'packed' | 'weighed'
  basePrice: number
  taxRate: string
}

const CATEGORIES: DemoCategory[] = [
  { name: 'Soft drinks', kind: 'packed', basePrice: 0.9, taxRate: '20', items: ['Cola', 'Lemonade', 'Orange soda', 'Ginger ale', 'Tonic water', 'Iced tea', 'Root beer', 'Cream soda', 'Sparkling water', 'Still water'] },
  { name: 'Beer', kind: 'packed', basePrice: 1.6, taxRate: '20', items: ['Pale ale', 'Lager', 'Stout', 'Pilsner', 'Wheat beer', 'IPA', 'Porter', 'Amber ale', 'Cider', 'Low-alcohol lager'] },
  { name: 'Snacks', kind: 'packed', basePrice: 1.2, taxRate: '20', items: ['Salted crisps', 'Paprika crisps', 'Pretzels', 'Popcorn', 'Tortilla chips', 'Peanuts', 'Cashews', 'Rice crackers', 'Oat bar', 'Chocolate bar'] },
  { name: 'Cheese counter', kind: 'weighed', basePrice: 14, taxRate: '5', items: ['Cheddar', 'Gouda', 'Brie', 'Comté', 'Manchego', 'Parmesan', 'Gruyère', 'Stilton', 'Feta', 'Emmental'] },
  { name: 'Deli', kind: 'weighed', basePrice: 18, taxRate: '5', items: ['Smoked ham', 'Salami', 'Chorizo', 'Prosciutto', 'Roast beef', 'Turkey breast', 'Pastrami', 'Mortadella', 'Olives', 'Hummus'] },
  { name: 'Fruit & veg', kind: 'weighed', basePrice: 2.4, taxRate: '0', items: ['Apples', 'Pears', 'Bananas', 'Tomatoes', 'Carrots', 'Potatoes', 'Onions', 'Grapes', 'Lemons', 'Courgettes'] },
  { name: 'Bakery', kind: 'each', basePrice: 1.1, taxRate: '5', items: ['Baguette', 'Sourdough loaf', 'Croissant', 'Pain au chocolat', 'Rye bread', 'Bagel', 'Muffin', 'Cinnamon roll', 'Focaccia', 'Brioche'] },
  { name: 'Household', kind: 'each', basePrice: 2.5, taxRate: '20', items: ['Dish soap', 'Sponges', 'Paper towels', 'Bin bags', 'Laundry liquid', 'Toilet roll 4-pack', 'Matches', 'Candles', 'Batteries AA', 'Light bulb'] },
]
const VARIANTS = ['Classic', 'Organic', 'Family size']
const LOCATIONS = [
  // online orders ship from the warehouse first, then from the store
  { code: 'MAIN', name: 'Main Street store', kind: 'store', stockMultiplier: 1, onlinePriority: 1 },
  { code: 'WH1', name: 'Warehouse', kind: 'warehouse', stockMultiplier: 5, onlinePriority: 0 },
] as const
/** The web shop's one shipping method: flat rates, free over 50.00. */
const DEMO_SHIPPING_RATES = [
  { country: '*', price: '9.90', free_over: null },
  { country: 'DE', price: '4.90', free_over: '50.00' },
  { country: 'FR', price: '5.90', free_over: '50.00' },
  { country: 'GB', price: '5.90', free_over: '50.00' },
]

const UNITS = [
  { code: 'each', name: 'Each' },
  { code: 'box12', name: 'Box of 12' },
  { code: 'kg', name: 'Kilogram' },
  { code: 'g', name: 'Gram' },
]

/** The same demo shop every time: prices and stock follow from the names, no randomness. */
function demoProducts() {
  const products: {
    sku: string
    barcode: string
    name: string
    category: string
    baseUnit: string
    price: string
    taxRate: string
    units: { unit: string; factor: string; barcode: string | null }[]
  }[] = []
  let n = 0
  CATEGORIES.forEach((category, c) => {
    category.items.forEach((item, i) => {
      VARIANTS.forEach((variant, v) => {
        n++
        const sku = `${category.name.slice(0, 3).toUpperCase().replace(/[^A-Z]/g, 'X')}-${String(c * 100 + i * 3 + v + 1).padStart(4, '0')}`
        const price = new Big(category.basePrice).times(1 + i * 0.07 + v * 0.35)
        const barcode = `200${String(n).padStart(9, '0')}`
        const units =
          category.kind === 'packed'
            ? [{ unit: 'box12', factor: '12', barcode: `210${String(n).padStart(9, '0')}` }]
            : category.kind === 'weighed'
              ? [{ unit: 'g', factor: '0.001', barcode: null }]
              : []
        products.push({
          sku,
          barcode,
          name: `${item} (${variant})`,
          category: category.name,
          baseUnit: category.kind === 'weighed' ? 'kg' : 'each',
          price: money(price),
          taxRate: category.taxRate,
          units,
        })
      })
    })
  })
  return products
}

/**
 * Seeds the demo shop: 240 products in 8 categories (drinks in boxes of 12, cheese and deli sold by
 * the kg or the gram), two locations with stock, and an admin and a cashier token.
 *
 * Everything happens in one transaction holding the migration lock, so two processes starting
 * together on an empty database seed once: the second waits, then finds the products. Seeding
 * again (onlyIfEmpty false) updates the products and brings stock back to the demo levels rather
 * than adding to it; only the two new tokens are extra. The writes bypass the services (one
 * transaction, set-based), so after the commit every cached entry is dropped, in every process.
 */
export async function seedDemoShop(db: Db, services: Services, options: { onlyIfEmpty: boolean }): Promise<SeedReport> {
  const report = await writeDemoShop(db, options)
  if (report.seeded) await services.cache.clear()
  return report
}

function writeDemoShop(db: Db, options: { onlyIfEmpty: boolean }): Promise<SeedReport> {
  return db.primary.transaction().execute(async (trx): Promise<SeedReport> => {
    await holdMigrationLock(trx)
    if (options.onlyIfEmpty) {
      const existing = await trx.selectFrom('product').select('id').limit(1).executeTakeFirst()
      if (existing) return { seeded: false, products: 0, categories: 0, locations: 0 }
    }
    const products = await writeProducts(trx)
    const locations = await writeLocations(trx)
    await stockToDemoLevels(trx, products, locations)
    await insertShippingMethod(trx, { code: 'standard', name: 'Standard delivery', active: true, position: 0 }, DEMO_SHIPPING_RATES)
    const admin = await issueToken(trx, { name: 'demo admin', role: 'admin' })
    const cashier = await issueToken(trx, { name: 'demo cashier', role: 'cashier', locations: ['MAIN'] })
    return {
      seeded: true,
      products: products.length,
      categories: CATEGORIES.length,
      locations: locations.length,
      adminToken: admin.token,
      cashierToken: cashier.token,
      cashierLocation: 'MAIN',
    }
  })
}

type DemoProduct = ReturnType<typeof demoProducts>[number] & { id: number }

async function writeProducts(trx: Transaction<Database>): Promise<DemoProduct[]> {
  const products = demoProducts()
  await trx
    .insertInto('unit')
    .values(UNITS)
    .onConflict((oc) => oc.column('code').doNothing())
    .execute()
  await insertMissingCategories(trx, CATEGORIES.map((c) => c.name))
  const rows = await upsertProducts(
    trx,
    products.map((p) => ({ ...p, description: `${p.name}, from the Brisk demo shop.`, active: undefined })),
  )
  const idOf = new Map(rows.map((r) => [r.sku, r.id]))
  const withIds = products.map((p) => ({ ...p, id: idOf.get(p.sku)! }))
  await replaceProductUnits(
    trx,
    withIds.map((p) => p.id),
    withIds.flatMap((p) => p.units.map((u) => ({ productId: p.id, ...u }))),
  )
  return withIds
}

async function writeLocations(trx: Transaction<Database>) {
  for (const l of LOCATIONS) {
    await insertLocation(trx, {
      code: l.code,
      name: l.name,
      kind: l.kind,
      allowNegativeStock: false,
      sellsOnline: true,
      onlinePriority: l.onlinePriority,
    })
  }
  const codes = LOCATIONS.map((l) => l.code)
  const stored = await trx.selectFrom('location').select(['id', 'code']).where('code', 'in', codes).execute()
  return LOCATIONS.map((l) => {
    const row = stored.find((s) => s.code === l.code)
    if (!row) throw new Error(`Location ${l.code} was not written`)
    return { ...l, id: row.id }
  })
}

/** Moves each product's stock to its demo level: the first seed adds it all, a second one only corrects. */
async function stockToDemoLevels(
  trx: Transaction<Database>,
  products: readonly DemoProduct[],
  locations: readonly { id: number; stockMultiplier: number }[],
): Promise<void> {
  const movements: LabelledMovement[] = []
  for (const location of locations) {
    const levels = await listStockLevels(trx, location.id, { productIds: products.map((p) => p.id), limit: products.length })
    const current = new Map(levels.map((level) => [level.product_id, level.quantity]))
    products.forEach((p, i) => {
      const perLocation = p.baseUnit === 'kg' ? (i % 7) + 2 : ((i % 11) + 4) * 6
      const delta = new Big(perLocation * location.stockMultiplier).minus(current.get(p.id) ?? '0')
      if (delta.eq(0)) return
      movements.push({
        locationId: location.id,
        productId: p.id,
        delta: decimalString(delta),
        reason: 'adjustment',
        lines: [`lines[${i}]`],
        sku: p.sku,
      })
    })
  }
  await moveStockOrFail(trx, movements, { reference: 'demo seed', tokenId: null })
}
