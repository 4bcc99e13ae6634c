/** A cart priced with the catalog's shared exact pricing, as the API shows it. */
import { Big, decimalString } from '../../infra/decimal.ts'
import { type CatalogCache, type Discount, type PricedInvoice, priceInvoice, type SellableLine, sellableLinesFromCache } from '../catalog/index.ts'

const NO_DISCOUNT: Discount = { percent: null, amount: new Big(0) }

export interface CartLine {
  id: number
  productId: number
  sku: string
  name: string
  unit: string
  quantity: string
  /** the catalog price of one `unit` now */
  unitPrice: string
  /** percent */
  taxRate: string
  netAmount: string
  taxAmount: string
  /** net + tax */
  total: string
}

export interface PricedCart {
  lines: CartLine[]
  subtotal: string
  taxTotal: string
  total: string
  expiresAt: string
  updatedAt: string
}

export interface StoredCart {
  expires_at: Date
  updated_at: Date
  lines: readonly { id: number; product_id: number; unit: string; quantity: string }[]
}

/** At least two decimals and every one the price has: 0.01299 for a gram of a 12.99 kg product. */
export function unitPriceText(value: Big): string {
  const text = decimalString(value)
  const dot = text.indexOf('.')
  return dot < 0 ? `${text}.00` : dot === text.length - 2 ? `${text}0` : text
}

/**
 * Prices a cart at today's catalog prices, products read through the cache tiers (no statement
 * when they are cached). Carts have no discounts yet: the shared pricing gets none.
 */
export async function priceCart(catalog: CatalogCache, cart: StoredCart): Promise<PricedCart> {
  return pricedCartOf(cart, await priceCartLines(catalog, cart.lines))
}

/** A cart's lines priced at today's catalog prices, read through the cache tiers. */
export async function priceCartLines(
  catalog: CatalogCache,
  lines: StoredCart['lines'],
): Promise<{ sellable: SellableLine[]; priced: PricedInvoice }> {
  const refs = lines.map((l) => ({ productId: l.product_id, unit: l.unit, quantity: l.quantity }))
  return priceSellable(await sellableLinesFromCache(catalog, refs, 'lines'))
}

/** Lines priced with the shared exact pricing (carts have no discounts yet). */
export function priceSellable(sellable: SellableLine[]): { sellable: SellableLine[]; priced: PricedInvoice } {
  const priced = priceInvoice(
    sellable.map((s) => ({ quantity: s.quantity, unitPrice: s.unitPrice, taxRate: s.taxRateValue, discount: NO_DISCOUNT })),
    NO_DISCOUNT,
  )
  return { sellable, priced }
}

/** The cart as the API shows it. */
export function pricedCartOf(cart: StoredCart, { sellable, priced }: { sellable: SellableLine[]; priced: PricedInvoice }): PricedCart {
  return {
    lines: sellable.map((s, i) => {
      const p = priced.lines[i]!
      return {
        id: cart.lines[i]!.id,
        productId: s.productId,
        sku: s.sku,
        name: s.name,
        unit: s.unit,
        quantity: decimalString(s.quantity),
        unitPrice: unitPriceText(s.unitPrice),
        taxRate: s.taxRate,
        netAmount: p.netAmount,
        taxAmount: p.taxAmount,
        total: p.totalAmount,
      }
    }),
    subtotal: priced.netTotal,
    taxTotal: priced.taxTotal,
    total: priced.total,
    expiresAt: cart.expires_at.toISOString(),
    updatedAt: cart.updated_at.toISOString(),
  }
}
