/**
 * Request lines as a seller prices them: product, unit, quantity and the catalog's decimals parsed.
 * A till's sale reads its products from the cache tiers (sellableLinesFromCache) and sends no
 * catalog statement when they are cached. The cache is never trusted with money: the statement
 * that writes the sale re-checks every price, tax rate, name and unit factor it was priced with
 * against the catalog in the same snapshot (`changedCatalogLinesCte`) and writes nothing if one
 * differs; the seller then evicts those products and prices afresh. A stale entry costs a retry,
 * never a wrong invoice.
 */
import { Big, parseDecimal } from '../../infra/decimal.ts'
import type { CatalogCache, ProductDoc } from './catalog.cache.ts'
import { type LineProduct, type LineRef, matchLines, type ResolvedLine } from './catalog.quantities.ts'

/** A resolved line with the catalog decimals parsed, as pricing needs them. */
export interface SellableLine extends ResolvedLine {
  /** the catalog price of one `unit` (base price × factor) */
  unitPrice: Big
  taxRateValue: Big
}

const ONE = new Big(1)

/** Lines resolved from the database, with their decimals parsed for pricing. */
export function sellableLinesOf(resolved: readonly ResolvedLine[]): SellableLine[] {
  return resolved.map((r) => {
    const price = new Big(r.price)
    return { ...r, unitPrice: r.factor.eq(ONE) ? price : price.times(r.factor), taxRateValue: new Big(r.taxRate) }
  })
}

/** A cached product's decimals parsed once per unit, for as long as that very object is cached. */
interface ParsedProduct extends LineProduct {
  taxRateValue: Big
  units: Map<string, { factor: Big; unitPrice: Big }>
}

const parsedProducts = new WeakMap<ProductDoc, ParsedProduct>()

function parsedProductOf(doc: ProductDoc): ParsedProduct {
  let parsed = parsedProducts.get(doc)
  if (parsed === undefined) {
    const price = new Big(doc.price)
    const units = new Map([[doc.baseUnit, { factor: ONE, unitPrice: price }]])
    for (const u of doc.units) {
      const factor = new Big(u.factor)
      units.set(u.unit, { factor, unitPrice: price.times(factor) })
    }
    parsed = {
      id: doc.id,
      sku: doc.sku,
      name: doc.name,
      baseUnit: doc.baseUnit,
      price: doc.price,
      taxRate: doc.taxRate,
      active: doc.active,
      factors: new Map([[doc.baseUnit, '1'], ...doc.units.map((u): [string, string] => [u.unit, u.factor])]),
      taxRateValue: new Big(doc.taxRate),
      units,
    }
    parsedProducts.set(doc, parsed)
  }
  return parsed
}

/**
 * The lines of a request from the cache tiers: a statement only for products (or SKUs) no tier
 * holds, one for all of them. Errors are resolveLines' (unknown product, unit without a conversion).
 */
export async function sellableLinesFromCache(catalog: CatalogCache, lines: readonly LineRef[], field = 'lines'): Promise<SellableLine[]> {
  const skus = [...new Set(lines.flatMap((l) => (l.productId === undefined && l.sku !== undefined ? [l.sku] : [])))]
  const bySku = skus.length > 0 ? await catalog.productsBySku(skus) : undefined
  const ids = [...new Set(lines.flatMap((l) => (l.productId === undefined ? [] : [l.productId])))]
  const byId = await catalog.products(ids)
  return matchLines(
    lines,
    (line) => {
      const doc = line.productId !== undefined ? byId.get(line.productId) : bySku?.get(line.sku!)
      return doc && parsedProductOf(doc)
    },
    (line, index, product, unit): SellableLine => {
      const { taxRateValue, units } = product as ParsedProduct
      const { factor, unitPrice } = units.get(unit)!
      const quantity = parseDecimal(line.quantity, `${field}[${index}].quantity`)
      return {
        index,
        productId: product.id,
        sku: product.sku,
        name: product.name,
        unit,
        baseUnit: product.baseUnit,
        quantity,
        factor,
        baseQuantity: factor === ONE ? quantity : quantity.times(factor),
        price: product.price,
        unitPrice,
        taxRate: product.taxRate,
        taxRateValue,
        active: product.active,
      }
    },
    field,
  )
}
