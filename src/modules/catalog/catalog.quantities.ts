import type { Executor } from '../../infra/db/database.ts'
import { Big, parseDecimal } from '../../infra/decimal.ts'
import { invalid, notFound } from '../../infra/errors.ts'

/** A reference to a product in a request line: by id or SKU, with a unit (default: the base unit). */
export interface LineRef {
  productId?: number | undefined
  sku?: string | undefined
  unit?: string | undefined
  quantity: string | number
}

export interface ResolvedLine {
  /** position of the line in the request */
  index: number
  productId: number
  sku: string
  name: string
  unit: string
  baseUnit: string
  quantity: Big
  /** base units in one `unit` */
  factor: Big
  /** quantity × factor */
  baseQuantity: Big
  /** price per base unit */
  price: string
  /** percent */
  taxRate: string
  active: boolean
}

/**
 * Resolves every line of a request in one statement: the products (by id or SKU) with all their
 * unit conversions. Unknown products and units without a conversion are reported together.
 */
export async function resolveLines(db: Executor, lines: readonly LineRef[]): Promise<ResolvedLine[]> {
  const ids = [...new Set(lines.flatMap((l) => (l.productId === undefined ? [] : [l.productId])))]
  const skus = [...new Set(lines.flatMap((l) => (l.productId === undefined && l.sku !== undefined ? [l.sku] : [])))]
  const rows =
    ids.length + skus.length === 0
      ? []
      : await db
          .selectFrom('product as p')
          .leftJoin('product_unit as pu', 'pu.product_id', 'p.id')
          .select([
            'p.id',
            'p.sku',
            'p.name',
            'p.base_unit',
            'p.price',
            'p.tax_rate',
            'p.active',
            'pu.unit_code',
            'pu.factor',
          ])
          .where((eb) => {
            const conditions = []
            if (ids.length > 0) conditions.push(eb('p.id', '=', eb.fn.any(eb.val(ids))))
            if (skus.length > 0) conditions.push(eb('p.sku', '=', eb.fn.any(eb.val(skus))))
            return eb.or(conditions)
          })
          .execute()

  type Product = (typeof rows)[number] & { factors: Map<string, string> }
  const byId = new Map<number, Product>()
  const bySku = new Map<string, Product>()
  for (const row of rows) {
    let product = byId.get(row.id)
    if (!product) {
      product = { ...row, factors: new Map([[row.base_unit, '1']]) }
      byId.set(row.id, product)
      bySku.set(row.sku, product)
    }
    if (row.unit_code !== null && row.factor !== null) product.factors.set(row.unit_code, row.factor)
  }

  const unknown: { line: number; productId?: number; sku?: string }[] = []
  const unconvertible: { line: number; sku: string; unit: string; units: string[] }[] = []
  const resolved: ResolvedLine[] = []
  lines.forEach((line, index) => {
    const product = line.productId !== undefined ? byId.get(line.productId) : line.sku !== undefined ? bySku.get(line.sku) : undefined
    if (!product) {
      unknown.push({
        line: index,
        ...(line.productId !== undefined ? { productId: line.productId } : {}),
        ...(line.sku !== undefined ? { sku: line.sku } : {}),
      })
      return
    }
    const unit = line.unit ?? product.base_unit
    const factorText = product.factors.get(unit)
    if (factorText === undefined) {
      unconvertible.push({ line: index, sku: product.sku, unit, units: [...product.factors.keys()] })
      return
    }
    const quantity = parseDecimal(line.quantity, `lines[${index}].quantity`)
    const factor = new Big(factorText)
    resolved.push({
      index,
      productId: product.id,
      sku: product.sku,
      name: product.name,
      unit,
      baseUnit: product.base_unit,
      quantity,
      factor,
      baseQuantity: quantity.times(factor),
      price: product.price,
      taxRate: product.tax_rate,
      active: product.active,
    })
  })
  if (lines.some((l) => l.productId === undefined && l.sku === undefined)) {
    throw invalid('CATALOG_LINE_WITHOUT_PRODUCT', 'Every line needs a productId or a sku.')
  }
  if (unknown.length > 0) {
    throw notFound('CATALOG_UNKNOWN_PRODUCT', `${unknown.length} line(s) name a product that does not exist.`, {
      lines: unknown,
    })
  }
  if (unconvertible.length > 0) {
    throw invalid(
      'CATALOG_UNIT_NOT_CONVERTIBLE',
      `${unconvertible.length} line(s) use a unit the product has no conversion for.`,
      { lines: unconvertible },
    )
  }
  return resolved
}
