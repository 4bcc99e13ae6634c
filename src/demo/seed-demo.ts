import type { Services } from '../app.ts'
import type { Db } from '../infra/db/database.ts'
import { Big, money } from '../infra/decimal.ts'
import { SYSTEM_PRINCIPAL } from '../modules/access/index.ts'

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
 */
export async function seedDemoShop(
  db: Db,
  services: Services,
  options: { onlyIfEmpty: boolean },
): Promise<SeedReport> {
  if (options.onlyIfEmpty) {
    const existing = await db.primary.selectFrom('product').select('id').limit(1).executeTakeFirst()
    if (existing) return { seeded: false, products: 0, categories: 0, locations: 0 }
  }
  const products = demoProducts()
  await db.primary
    .insertInto('unit')
    .values([
      { code: 'each', name: 'Each' },
      { code: 'box12', name: 'Box of 12' },
      { code: 'kg', name: 'Kilogram' },
      { code: 'g', name: 'Gram' },
    ])
    .onConflict((oc) => oc.column('code').doNothing())
    .execute()
  await services.catalog.bulkUpsertProducts(SYSTEM_PRINCIPAL, {
    products: products.map((p) => ({ ...p, description: `${p.name}, from the Brisk demo shop.` })),
  })

  const locations = await Promise.all([
    services.inventory.createLocation(SYSTEM_PRINCIPAL, { code: 'MAIN', name: 'Main Street store', kind: 'store' }),
    services.inventory.createLocation(SYSTEM_PRINCIPAL, { code: 'WH1', name: 'Warehouse', kind: 'warehouse' }),
  ]).catch(async () => services.inventory.listLocations())
  const store = locations.find((l) => l.code === 'MAIN')!
  const warehouse = locations.find((l) => l.code === 'WH1')!
  const stockLines = (multiplier: number) =>
    products.map((p, i) => ({
      sku: p.sku,
      quantity: p.baseUnit === 'kg' ? String(((i % 7) + 2) * multiplier) : String(((i % 11) + 4) * 6 * multiplier),
    }))
  await services.inventory.adjustStock(SYSTEM_PRINCIPAL, store.id, { reference: 'demo seed', lines: stockLines(1) })
  await services.inventory.adjustStock(SYSTEM_PRINCIPAL, warehouse.id, { reference: 'demo seed', lines: stockLines(5) })

  const admin = await services.access.createToken({ name: 'demo admin', role: 'admin' })
  const cashier = await services.access.createToken({ name: 'demo cashier', role: 'cashier', locations: ['MAIN'] })
  return {
    seeded: true,
    products: products.length,
    categories: CATEGORIES.length,
    locations: 2,
    adminToken: admin.token,
    cashierToken: cashier.token,
    cashierLocation: 'MAIN',
  }
}
