/** A cart priced with the catalog's shared exact pricing, as the API shows it. */
import { Big, decimalString } from '../../infra/decimal.ts'
import { AppError } from '../../infra/errors.ts'
import type { NewOrderLine } from './orders.tables.ts'
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
  /** lines the shop no longer sells as they are: out of the totals; remove them to check out */
  unavailable: UnavailableLine[]
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

type StoredLine = StoredCart['lines'][number]

/** A cart line the shop no longer sells as it is: kept in the cart, out of its totals, refused at checkout. */
export interface UnavailableLine {
  id: number
  productId: number
  unit: string
  quantity: string
  reason: 'no_longer_sold' | 'unit_not_sold'
}

/** A cart's lines split into those the catalog prices now and those it no longer sells. */
export interface SellableCart {
  lines: StoredLine[]
  sellable: SellableLine[]
  unavailable: UnavailableLine[]
}

const unavailableOf = (line: StoredLine, reason: UnavailableLine['reason']): UnavailableLine => ({
  id: line.id,
  productId: line.product_id,
  unit: line.unit,
  quantity: decimalString(new Big(line.quantity)),
  reason,
})

/**
 * The cart's lines at today's catalog, read through the cache tiers (no statement when cached). A
 * product deactivated, or a unit taken off a product, since the line was added makes that line
 * unavailable, never the whole cart unreadable.
 */
export async function sellableCartLines(catalog: CatalogCache, lines: readonly StoredLine[]): Promise<SellableCart> {
  const refs = lines.map((l) => ({ productId: l.product_id, unit: l.unit, quantity: l.quantity }))
  let sellable: SellableLine[]
  let kept = [...lines]
  const unavailable: UnavailableLine[] = []
  try {
    sellable = await sellableLinesFromCache(catalog, refs, 'lines')
  } catch (error) {
    if (!(error instanceof AppError) || !['CATALOG_UNIT_NOT_CONVERTIBLE', 'CATALOG_UNKNOWN_PRODUCT'].includes(error.code)) throw error
    // the refused lines are named by field (/lines/3): price the others
    const refused = new Set((error.details as { lines: { field: string }[] }).lines.map((l) => Number(l.field.split('/')[2])))
    kept = lines.filter((_, i) => !refused.has(i))
    unavailable.push(...lines.filter((_, i) => refused.has(i)).map((l) => unavailableOf(l, 'unit_not_sold')))
    sellable = await sellableLinesFromCache(catalog, kept.map((l) => ({ productId: l.product_id, unit: l.unit, quantity: l.quantity })), 'lines')
  }
  const active = sellable.map((s) => s.active)
  unavailable.push(...kept.filter((_, i) => !active[i]).map((l) => unavailableOf(l, 'no_longer_sold')))
  return { lines: kept.filter((_, i) => active[i]), sellable: sellable.filter((s) => s.active), unavailable }
}

/** Prices a cart at today's catalog prices; lines no longer sold are listed apart, out of the totals. */
export async function priceCart(catalog: CatalogCache, cart: StoredCart): Promise<PricedCart> {
  const lines = await sellableCartLines(catalog, cart.lines)
  return pricedCartOf(cart, lines, priceSellable(lines.sellable).priced)
}

/** Priced lines as an order's rows, in their order (position = index). */
export function orderLinesOf(sellable: readonly SellableLine[], priced: PricedInvoice): NewOrderLine[] {
  return sellable.map((s, position) => {
    const p = priced.lines[position]!
    return {
      position,
      product_id: s.productId,
      sku: s.sku,
      name: s.name,
      unit: s.unit,
      quantity: s.quantity.toFixed(),
      factor: s.factor.toFixed(),
      base_quantity: s.baseQuantity.toFixed(),
      unit_price: s.unitPrice.toFixed(),
      tax_rate: s.taxRate,
      net_amount: p.netAmount,
      tax_amount: p.taxAmount,
      total_amount: p.totalAmount,
    }
  })
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
function pricedCartOf(cart: StoredCart, { lines, sellable, unavailable }: SellableCart, priced: PricedInvoice): PricedCart {
  return {
    lines: sellable.map((s, i) => {
      const p = priced.lines[i]!
      return {
        id: lines[i]!.id,
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
    unavailable,
    expiresAt: cart.expires_at.toISOString(),
    updatedAt: cart.updated_at.toISOString(),
  }
}
