import { Big, parseDecimal } from '../../infra/decimal.ts'
import type { LineRef, ResolvedLine } from './catalog.quantities.ts'

/** A resolved line with the catalog decimals parsed, as pricing needs them. */
export interface SellableLine extends ResolvedLine {
  /** the catalog price of one `unit` (base price × factor) */
  unitPrice: Big
  taxRateValue: Big
}

/** What a seller needs to know about a product in one unit; quantities come from the request. */
type CatalogEntry = Omit<SellableLine, 'index' | 'quantity' | 'baseQuantity' | 'active'>

const ONE = new Big(1)

function entryOf(r: ResolvedLine): CatalogEntry {
  const price = new Big(r.price)
  return {
    productId: r.productId,
    sku: r.sku,
    name: r.name,
    unit: r.unit,
    baseUnit: r.baseUnit,
    factor: r.factor,
    price: r.price,
    unitPrice: r.factor.eq(ONE) ? price : price.times(r.factor),
    taxRate: r.taxRate,
    taxRateValue: new Big(r.taxRate),
  }
}

function sellableLine(entry: CatalogEntry, index: number, quantity: Big, active: boolean): SellableLine {
  return {
    index,
    productId: entry.productId,
    sku: entry.sku,
    name: entry.name,
    unit: entry.unit,
    baseUnit: entry.baseUnit,
    quantity,
    factor: entry.factor,
    baseQuantity: entry.factor.eq(ONE) ? quantity : quantity.times(entry.factor),
    price: entry.price,
    unitPrice: entry.unitPrice,
    taxRate: entry.taxRate,
    taxRateValue: entry.taxRateValue,
    active,
  }
}

/** Lines resolved by the catalog, with their decimals parsed for pricing. */
export function sellableLinesOf(resolved: readonly ResolvedLine[]): SellableLine[] {
  return resolved.map((r) => sellableLine(entryOf(r), r.index, r.quantity, r.active))
}

/** Lines naming a product by id in its base unit — a till's usual line — are kept by number. */
const keyOf = (line: LineRef): number | string =>
  line.productId !== undefined
    ? line.unit === undefined
      ? line.productId
      : `i:${line.productId}:${line.unit}`
    : `s:${line.sku ?? ''}:${line.unit ?? ''}`

/**
 * Products a seller has already looked up, so the next sale of them skips the catalog lookup (a
 * statement and a round trip). It is never trusted: the statement that writes the sale re-checks
 * every cached price, tax rate, name and unit factor against the catalog in the same snapshot
 * (`changedCatalogLinesCte`) and writes nothing if one differs; the caller then looks the
 * products up afresh.
 * So a stale entry costs a retry, never a wrong invoice, and no invalidation is needed across
 * processes. Inactive products are not kept, so a product sold again is always looked up.
 */
export class SellableLineCache {
  readonly #entries = new Map<number | string, CatalogEntry>()
  readonly #maxEntries: number

  constructor(maxEntries = 100_000) {
    this.#maxEntries = maxEntries
  }

  /** Every line resolved from the cache, or undefined if any line is missing from it. */
  lookup(lines: readonly LineRef[]): SellableLine[] | undefined {
    const resolved: SellableLine[] = []
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index]!
      const entry = this.#entries.get(keyOf(line))
      if (!entry) return undefined
      resolved.push(sellableLine(entry, index, parseDecimal(line.quantity, `lines[${index}].quantity`), true))
    }
    return resolved
  }

  remember(lines: readonly LineRef[], resolved: readonly SellableLine[]): void {
    if (this.#entries.size + resolved.length > this.#maxEntries) this.#entries.clear()
    for (const r of resolved) {
      const line = lines[r.index]
      if (!line) continue
      const key = keyOf(line)
      if (!r.active) {
        this.#entries.delete(key)
        continue
      }
      const { index, quantity, baseQuantity, active, ...entry } = r
      this.#entries.set(key, entry)
    }
  }

  forget(lines: readonly LineRef[]): void {
    for (const line of lines) this.#entries.delete(keyOf(line))
  }
}
