/**
 * Marketplace orders as an import sends them: checked against their limits (the whole request is
 * refused for a bad value, before anything is written) and priced — the catalog's prices unless the
 * marketplace set its own, the tax always the product's — into the rows the import statement writes.
 */
import { Big, baseQuantityOf, decimalString, MAX_BASE_QUANTITY, MONEY_LIMITS, money, readDecimal, UNIT_PRICE_LIMITS } from '../../infra/decimal.ts'
import { AppError, invalid } from '../../infra/errors.ts'
import { type SellableLine, sellableLinesOf } from '../catalog/index.ts'
import { COUNTRY_CODES } from '../customers/index.ts'
import type * as repo from './orders.batch.repository.ts'
import { CART_QUANTITY_LIMITS } from './orders.carts.ts'
import { addressOf, type ShippingAddressInput } from './orders.placement.ts'
import { orderLinesOf, priceSellable } from './orders.pricing.ts'

export interface ImportLineInput {
  sku: string
  /** default: the product's base unit */
  unit?: string | undefined
  quantity: string | number
  /** the marketplace's price of one `unit` before tax; default: the catalog's */
  unitPrice?: string | number | undefined
}

export interface ImportOrderInput {
  externalRef: string
  email: string
  shippingAddress: ShippingAddressInput
  lines: ImportLineInput[]
  shippingTotal?: string | number | undefined
  /** the marketplace took the money: the order is imported paid */
  paid?: boolean | undefined
}

export interface ImportInput {
  /** 'marketplace:<name>' */
  source: string
  /** where the stock is taken from */
  locationId: number
  orders: ImportOrderInput[]
}

/**
 * Values out of their limits refuse the whole request (a 422 naming the field), before anything is
 * written: they are the sender's mistake. What depends on the data — a SKU, stock, an order seen
 * before — is reported per order.
 */
export function checkImportInput(input: ImportInput): void {
  input.orders.forEach((order, row) => {
    const at = `orders[${row}]`
    if (!COUNTRY_CODES.has(order.shippingAddress.country)) {
      throw invalid('ORDERS_UNKNOWN_COUNTRY', `${at}.shippingAddress.country: ${order.shippingAddress.country} is not an ISO 3166-1 country code.`, {
        field: `/orders/${row}/shippingAddress/country`,
      })
    }
    if (order.shippingTotal !== undefined) readDecimal(order.shippingTotal, `${at}.shippingTotal`, MONEY_LIMITS, 'ORDERS_INVALID_TOTAL')
    order.lines.forEach((line, index) => {
      readDecimal(line.quantity, `${at}.lines[${index}].quantity`, CART_QUANTITY_LIMITS, 'ORDERS_INVALID_QUANTITY')
      if (line.unitPrice !== undefined) readDecimal(line.unitPrice, `${at}.lines[${index}].unitPrice`, UNIT_PRICE_LIMITS, 'ORDERS_INVALID_PRICE')
    })
  })
}

/** An imported order priced: the catalog's prices unless the marketplace set its own, tax from the product. */
export function importedOrder(
  item: ImportOrderInput,
  row: number,
  n: number,
  products: ReadonlyMap<string, repo.ImportProduct>,
): { order: repo.ImportOrder; lines: repo.ImportLine[] } {
  const at = `orders[${row}]`
  const resolved = item.lines.map((line, index) => {
    const path = `${at}.lines[${index}]`
    const product = products.get(line.sku)
    if (!product) throw new AppError('not_found', 'ORDERS_UNKNOWN_SKU', `${path}: no product with SKU ${line.sku}.`, { field: `/orders/${row}/lines/${index}/sku` })
    if (!product.active) throw new AppError('invalid', 'ORDERS_PRODUCT_INACTIVE', `${path}: ${line.sku} is no longer sold.`, { field: `/orders/${row}/lines/${index}/sku` })
    const unit = line.unit ?? product.base_unit
    const factorText = product.factors[unit]
    if (factorText === undefined) {
      throw new AppError('invalid', 'ORDERS_UNIT_NOT_CONVERTIBLE', `${path}: ${line.sku} has no unit ${unit}.`, {
        field: `/orders/${row}/lines/${index}/unit`,
        units: Object.keys(product.factors),
      })
    }
    const quantity = new Big(line.quantity)
    const factor = new Big(factorText)
    return {
      index,
      productId: product.id,
      sku: product.sku,
      name: product.name,
      unit,
      baseUnit: product.base_unit,
      quantity,
      factor,
      baseQuantity: baseQuantityOf(quantity, factor),
      price: product.price,
      taxRate: product.tax_rate,
      active: product.active,
    }
  })
  const sellable: SellableLine[] = sellableLinesOf(resolved).map((s, index) => {
    const own = item.lines[index]!.unitPrice
    return own === undefined ? s : { ...s, unitPrice: new Big(own) }
  })
  checkSizes(sellable, row)
  const { priced } = priceSellable(sellable)
  const shipping = new Big(item.shippingTotal ?? 0)
  const totalValue = new Big(priced.total).plus(shipping)
  if (totalValue.gt(MONEY_LIMITS.max)) {
    throw invalid('ORDERS_TOTAL_TOO_LARGE', `${at}: a total of ${money(totalValue)} is over ${MONEY_LIMITS.max}.`, { field: `/orders/${row}` })
  }
  const total = money(totalValue)
  const paid = item.paid === true
  return {
    order: {
      n,
      external_ref: item.externalRef,
      email: item.email,
      shipping_address: JSON.stringify(addressOf(item.shippingAddress)),
      shipping_country: item.shippingAddress.country,
      status: paid ? 'paid' : 'placed',
      subtotal: priced.netTotal,
      tax_total: priced.taxTotal,
      shipping_total: money(shipping),
      total,
      paid_total: paid ? total : '0',
      line_count: sellable.length,
    },
    lines: orderLinesOf(sellable, priced).map((line) => ({ ...line, n })),
  }
}

/** Limits a line meets only once its product is known: base units of one product, a unit's price. */
function checkSizes(lines: readonly SellableLine[], row: number): void {
  const bases = new Map<number, Big>()
  lines.forEach((l, index) => {
    const base = (bases.get(l.productId) ?? new Big(0)).plus(l.baseQuantity)
    bases.set(l.productId, base)
    if (base.gt(MAX_BASE_QUANTITY)) {
      throw invalid('ORDERS_QUANTITY_TOO_LARGE', `orders[${row}]: ${decimalString(base)} base units of ${l.sku}; an order may hold at most ${MAX_BASE_QUANTITY}.`, {
        field: `/orders/${row}/lines/${index}/quantity`,
      })
    }
    if (l.unitPrice.gt(MONEY_LIMITS.max)) {
      throw invalid('ORDERS_INVALID_PRICE', `orders[${row}].lines[${index}]: a unit price of ${decimalString(l.unitPrice)} is over ${MONEY_LIMITS.max}.`, {
        field: `/orders/${row}/lines/${index}/unit`,
      })
    }
  })
}
