import { Big, parseDecimal } from '../../infra/decimal.ts'
import type { LineRef, ResolvedLine } from '../catalog/index.ts'

/** What a sale needs to know about a product in one unit; quantities come from the request. */
interface CatalogEntry {
  productId: number
  sku: string
  name: string
  unit: string
  baseUnit: string
  factor: Big
  price: string
  taxRate: string
}

const keyOf = (line: LineRef) =>
  line.productId !== undefined ? `i:${line.productId}:${line.unit ?? ''}` : `s:${line.sku ?? ''}:${line.unit ?? ''}`

/**
 * Products a sale has already looked up, so the next sale of them skips the catalog lookup (a
 * statement and a round trip). It is never trusted: the statement that writes the invoice
 * re-checks every cached price, tax rate, name and unit factor against the catalog in the same
 * snapshot and writes nothing if one differs; the caller then looks the products up afresh.
 * So a stale entry costs a retry, never a wrong invoice, and no invalidation is needed across
 * processes. Inactive products are not kept, so a product sold again is always looked up.
 */
export class CatalogCache {
  readonly #entries = new Map<string, CatalogEntry>()
  readonly #maxEntries: number

  constructor(maxEntries = 100_000) {
    this.#maxEntries = maxEntries
  }

  /** Every line resolved from the cache, or undefined if any line is missing from it. */
  lookup(lines: readonly LineRef[]): ResolvedLine[] | undefined {
    const resolved: ResolvedLine[] = []
    for (const [index, line] of lines.entries()) {
      const entry = this.#entries.get(keyOf(line))
      if (!entry) return undefined
      const quantity = parseDecimal(line.quantity, `lines[${index}].quantity`)
      resolved.push({
        index,
        productId: entry.productId,
        sku: entry.sku,
        name: entry.name,
        unit: entry.unit,
        baseUnit: entry.baseUnit,
        quantity,
        factor: entry.factor,
        baseQuantity: quantity.times(entry.factor),
        price: entry.price,
        taxRate: entry.taxRate,
        active: true,
      })
    }
    return resolved
  }

  remember(lines: readonly LineRef[], resolved: readonly ResolvedLine[]): void {
    if (this.#entries.size + resolved.length > this.#maxEntries) this.#entries.clear()
    for (const r of resolved) {
      const line = lines[r.index]
      if (!line) continue
      const key = keyOf(line)
      if (!r.active) {
        this.#entries.delete(key)
        continue
      }
      this.#entries.set(key, {
        productId: r.productId,
        sku: r.sku,
        name: r.name,
        unit: r.unit,
        baseUnit: r.baseUnit,
        factor: new Big(r.factor),
        price: r.price,
        taxRate: r.taxRate,
      })
    }
  }

  forget(lines: readonly LineRef[]): void {
    for (const line of lines) this.#entries.delete(keyOf(line))
  }
}
