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

/**
 * Errors name a place in the request twice: readably in the message (`lines[0].quantity`) and as
 * a JSON Pointer in the details (`field: '/lines/0/quantity'`), as the request validation's 400s do.
 */
export function fieldOf(path: string): string {
  return path === '' ? '' : `/${path.replace(/\[(\d+)\]/g, '.$1').split('.').join('/')}`
}

/** Items of error details, each with its readable `path` as the JSON Pointer `field`. */
export function withFields<T extends { path: string }>(items: readonly T[]): (Omit<T, 'path'> & { field: string })[] {
  return items.map(({ path, ...rest }) => ({ field: fieldOf(path), ...rest }))
}

/** At most this many lines are named in an error message; its details list them all. */
const NAMED_IN_MESSAGE = 10

/** `a, b, c` for an error message, or the first ten and how many more. */
export function namesForMessage(names: readonly string[]): string {
  if (names.length <= NAMED_IN_MESSAGE) return names.join(', ')
  return `${names.slice(0, NAMED_IN_MESSAGE).join(', ')} and ${names.length - NAMED_IN_MESSAGE} more`
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

/** What matching a line needs to know of its product. */
export interface LineProduct {
  id: number
  sku: string
  name: string
  baseUnit: string
  /** price per base unit */
  price: string
  /** percent */
  taxRate: string
  active: boolean
  /** base units in one of each unit the product is counted in, its base unit (1) included */
  factors: ReadonlyMap<string, string>
}

/**
 * Matches every line of a request to its product (`productOf`) and unit, and builds each with
 * `build`. Unknown products and units without a conversion are reported together, each line named
 * by its path in the request: `field` is the list's name there (`lines`, or `add`).
 */
export function matchLines<T>(
  lines: readonly LineRef[],
  productOf: (line: LineRef) => LineProduct | undefined,
  build: (line: LineRef, index: number, product: LineProduct, unit: string, factor: string) => T,
  field = 'lines',
): T[] {
  const unknown: { path: string; productId?: number; sku?: string }[] = []
  const unconvertible: { path: string; sku: string; unit: string; units: string[] }[] = []
  const matched: T[] = []
  lines.forEach((line, index) => {
    const product = line.productId !== undefined || line.sku !== undefined ? productOf(line) : undefined
    if (!product) {
      unknown.push({
        path: `${field}[${index}]`,
        ...(line.productId !== undefined ? { productId: line.productId } : {}),
        ...(line.sku !== undefined ? { sku: line.sku } : {}),
      })
      return
    }
    const unit = line.unit ?? product.baseUnit
    const factor = product.factors.get(unit)
    if (factor === undefined) {
      unconvertible.push({ path: `${field}[${index}]`, sku: product.sku, unit, units: [...product.factors.keys()] })
      return
    }
    matched.push(build(line, index, product, unit, factor))
  })
  const anonymous = lines.flatMap((l, i) => (l.productId === undefined && l.sku === undefined ? [`${field}[${i}]`] : []))
  if (anonymous.length > 0) {
    throw invalid('CATALOG_LINE_WITHOUT_PRODUCT', `${namesForMessage(anonymous)}: every line needs a productId or a sku.`, {
      fields: anonymous.map(fieldOf),
    })
  }
  if (unknown.length > 0) {
    const named = unknown.map((u) => `${u.path} (${u.productId !== undefined ? `product ${u.productId}` : `SKU ${u.sku}`})`)
    throw notFound('CATALOG_UNKNOWN_PRODUCT', `No such product: ${namesForMessage(named)}.`, { lines: withFields(unknown) })
  }
  if (unconvertible.length > 0) {
    const named = unconvertible.map((u) => `${u.path} (${u.sku} has no unit ${u.unit})`)
    throw invalid('CATALOG_UNIT_NOT_CONVERTIBLE', `No conversion for the unit: ${namesForMessage(named)}.`, {
      lines: withFields(unconvertible),
    })
  }
  return matched
}

/** A matched line with its quantity read and converted. */
export function resolvedLine(line: LineRef, index: number, product: LineProduct, unit: string, factorText: string, field = 'lines') {
  const quantity = parseDecimal(line.quantity, `${field}[${index}].quantity`)
  const factor = new Big(factorText)
  return {
    index,
    productId: product.id,
    sku: product.sku,
    name: product.name,
    unit,
    baseUnit: product.baseUnit,
    quantity,
    factor,
    baseQuantity: quantity.times(factor),
    price: product.price,
    taxRate: product.taxRate,
    active: product.active,
  } satisfies ResolvedLine
}

/**
 * Resolves every line of a request in one statement, from the database (not the cache): the
 * products (by id or SKU) with all their unit conversions. For writes that must see the catalog as
 * it is now (stock moves, lines added in a transaction).
 */
export async function resolveLines(db: Executor, lines: readonly LineRef[], field = 'lines'): Promise<ResolvedLine[]> {
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

  const byId = new Map<number, LineProduct & { factors: Map<string, string> }>()
  const bySku = new Map<string, LineProduct>()
  for (const row of rows) {
    let product = byId.get(row.id)
    if (!product) {
      product = {
        id: row.id,
        sku: row.sku,
        name: row.name,
        baseUnit: row.base_unit,
        price: row.price,
        taxRate: row.tax_rate,
        active: row.active,
        factors: new Map([[row.base_unit, '1']]),
      }
      byId.set(row.id, product)
      bySku.set(row.sku, product)
    }
    if (row.unit_code !== null && row.factor !== null) product.factors.set(row.unit_code, row.factor)
  }
  return matchLines(
    lines,
    (line) => (line.productId !== undefined ? byId.get(line.productId) : bySku.get(line.sku!)),
    (line, index, product, unit, factor) => resolvedLine(line, index, product, unit, factor, field),
    field,
  )
}
