/** Invoice lines while they are validated and priced: request values checked, catalog prices applied, exact totals. */
import {
  Big,
  baseQuantityOf,
  checkDecimal,
  decimalString,
  MAX_BASE_QUANTITY,
  MONEY_LIMITS,
  money,
  PERCENT_LIMITS,
  parseDecimal,
  UNIT_PRICE_LIMITS,
} from '../../infra/decimal.ts'
import { type AppError, forbidden, invalid } from '../../infra/errors.ts'
import type { Principal } from '../access/index.ts'
import {
  type Discount,
  fieldOf,
  type LineOrigin,
  nameOfLine,
  namesForMessage,
  originDetails,
  type PricedInvoice,
  priceInvoice,
  roundMoney,
  type SellableLine,
  type TenderInput,
  withFields,
} from '../catalog/index.ts'
import type { InvoiceLineRecord, InvoiceTotals } from './sales.repository.ts'
import { type LineInput, PAYMENT_LIMITS, type PaymentInput, SOLD_QUANTITY_LIMITS } from './sales.schemas.ts'
import type { NewInvoiceLine, PaymentMethod } from './sales.tables.ts'

type DecimalValue = string | number

export const ZERO = new Big(0)
export const NO_DISCOUNT: Discount = { percent: null, amount: ZERO }

/**
 * What the lines of one invoice may add up to before discounts and tax: with tax at most 100 %,
 * its total stays far inside numeric(14,2), and a rollup row (numeric(16,2)) holds 50,000 of them.
 */
export const MAX_INVOICE_SUBTOTAL = new Big('1000000000')

function centsAmount(value: DecimalValue, field: string): Big {
  const amount = parseDecimal(value, field)
  if (amount.lt(0) || !amount.eq(roundMoney(amount))) {
    throw invalid('SALES_INVALID_AMOUNT', `${field} must be a non-negative number of whole cents.`, { field: fieldOf(field) })
  }
  return checkDecimal(amount, field, MONEY_LIMITS, 'SALES_INVALID_AMOUNT')
}

function percent(value: DecimalValue, field: string): Big {
  const p = parseDecimal(value, field)
  if (p.lt(0) || p.gt(100)) throw invalid('SALES_INVALID_PERCENT', `${field} must be from 0 to 100.`, { field: fieldOf(field) })
  return checkDecimal(p, field, PERCENT_LIMITS, 'SALES_INVALID_PERCENT')
}

/**
 * The discount a line or an invoice asks for, if any; both a percent and an amount is an error.
 * `field` is where the discount's fields are: a line (`lines[0]`), or '' for the invoice's own.
 */
export function discountOf(
  input: { discountPercent?: DecimalValue | null | undefined; discountAmount?: DecimalValue | null | undefined },
  field: string,
): Discount | undefined {
  const hasPercent = input.discountPercent !== undefined && input.discountPercent !== null
  const hasAmount = input.discountAmount !== undefined && input.discountAmount !== null
  if (hasPercent && hasAmount) {
    const message = `${field === '' ? 'The invoice' : field}: give discountPercent or discountAmount, not both.`
    throw invalid('SALES_DISCOUNT_AMBIGUOUS', message, { field: fieldOf(field) })
  }
  const at = (name: string) => (field === '' ? name : `${field}.${name}`)
  if (hasPercent) return { percent: percent(input.discountPercent!, at('discountPercent')), amount: ZERO }
  if (hasAmount) return { percent: null, amount: centsAmount(input.discountAmount!, at('discountAmount')) }
  return undefined
}

/** A quantity sold, changed or returned: above zero, at most a million, at most the 6 decimals the lines keep. */
export function positiveQuantity(value: DecimalValue, field: string): Big {
  const quantity = parseDecimal(value, field)
  if (quantity.lte(0)) throw invalid('SALES_QUANTITY_NOT_POSITIVE', `${field} must be above zero.`, { field: fieldOf(field) })
  return checkDecimal(quantity, field, SOLD_QUANTITY_LIMITS, 'SALES_INVALID_QUANTITY')
}

/** Checks what can be checked of request lines before any statement: quantities and discounts. */
export function validateLineInputs(lines: readonly LineInput[], field: string): void {
  lines.forEach((l, i) => {
    positiveQuantity(l.quantity, `${field}[${i}].quantity`)
    discountOf(l, `${field}[${i}]`)
  })
}

/** Tenders as offered; whether each is above zero and in cents is the pricing's rule (applyTenders), its size is checked here. */
export function tendersOf(payments: readonly PaymentInput[] | undefined): TenderInput<PaymentMethod>[] {
  return (payments ?? []).map((p, i) => {
    const path = `payments[${i}].amount`
    const amount = parseDecimal(p.amount, path)
    if (amount.gt(PAYMENT_LIMITS.max)) {
      throw invalid('SALES_INVALID_AMOUNT', `${path} must be at most ${PAYMENT_LIMITS.max}.`, {
        field: fieldOf(path),
        max: PAYMENT_LIMITS.max,
      })
    }
    return { method: p.method, amount, reference: p.reference ?? null }
  })
}

/** A line while it is being priced: decimals as Big. */
export interface WorkingLine {
  id: number | undefined
  position: number
  productId: number
  sku: string
  name: string
  unit: string
  quantity: Big
  factor: Big
  unitPrice: Big
  priceOverridden: boolean
  taxRate: Big
  discount: Discount
  /** how errors name it: its request line, its stored invoice line, or both */
  origin: LineOrigin
}

export function mayOverridePrice(principal: Principal): boolean {
  return principal.role === 'admin' || principal.role === 'manager'
}

export function refuseOverride(field: string): AppError {
  return forbidden('SALES_PRICE_OVERRIDE_FORBIDDEN', `${field}: only a manager or an admin may change a price.`, { field: fieldOf(field) })
}

/** Request lines (quantities validated already) → working lines, with catalog prices unless an allowed role overrides them. */
export function newWorkingLines(
  principal: Principal,
  inputs: readonly LineInput[],
  resolved: readonly SellableLine[],
  firstPosition: number,
  field: string,
): WorkingLine[] {
  const inactive = resolved.filter((r) => !r.active)
  if (inactive.length > 0) {
    const lines = inactive.map((r) => ({ path: `${field}[${r.index}]`, sku: r.sku }))
    throw invalid(
      'SALES_PRODUCT_INACTIVE',
      `No longer sold: ${namesForMessage(lines.map((l) => `${l.path} (${l.sku})`))}.`,
      { lines: withFields(lines) },
    )
  }
  return resolved.map((r) => {
    const input = inputs[r.index]!
    const name = `${field}[${r.index}]`
    const catalogPrice = r.unitPrice
    let unitPrice = catalogPrice
    if (input.unitPrice !== undefined) {
      unitPrice = parseDecimal(input.unitPrice, `${name}.unitPrice`)
      if (unitPrice.lt(0)) {
        throw invalid('SALES_INVALID_AMOUNT', `${name}.unitPrice must not be negative.`, { field: fieldOf(`${name}.unitPrice`) })
      }
      if (!unitPrice.eq(catalogPrice) && !mayOverridePrice(principal)) throw refuseOverride(`${name}.unitPrice`)
    }
    return {
      id: undefined,
      position: firstPosition + r.index,
      productId: r.productId,
      sku: r.sku,
      name: r.name,
      unit: r.unit,
      quantity: r.quantity,
      factor: r.factor,
      unitPrice,
      priceOverridden: !unitPrice.eq(catalogPrice),
      taxRate: r.taxRateValue,
      discount: discountOf(input, name) ?? NO_DISCOUNT,
      origin: { path: name },
    }
  })
}

/** A stored line back into a working line, to re-price it. */
export function workingLineOf(l: InvoiceLineRecord): WorkingLine {
  return {
    id: l.id,
    position: l.position,
    productId: l.product_id,
    sku: l.sku,
    name: l.name,
    unit: l.unit,
    quantity: new Big(l.quantity),
    factor: new Big(l.factor),
    unitPrice: new Big(l.unit_price),
    priceOverridden: l.price_overridden,
    taxRate: new Big(l.tax_rate),
    discount:
      l.discount_percent !== null
        ? { percent: new Big(l.discount_percent), amount: ZERO }
        : { percent: null, amount: new Big(l.discount_amount) },
    origin: { lineId: l.id },
  }
}

/**
 * What the checks of single values cannot see, before any statement: a price set on a line within
 * its limits, a request line that moves at least one unit of stock's last decimal, and stock of
 * one product on one invoice within MAX_BASE_QUANTITY. `bases` are the lines' base quantities.
 */
function checkLineQuantities(lines: readonly WorkingLine[], bases: readonly Big[]): void {
  const byProduct = new Map<number, Big>()
  lines.forEach((l, i) => {
    const base = bases[i]!
    const path = l.origin.path
    if (path !== undefined) {
      if (l.priceOverridden) checkDecimal(l.unitPrice, `${path}.unitPrice`, UNIT_PRICE_LIMITS, 'SALES_INVALID_AMOUNT')
      if (base.eq(0)) {
        throw invalid(
          'SALES_QUANTITY_TOO_SMALL',
          `${path}.quantity: ${decimalString(l.quantity)} ${l.unit} is less than the 0.000001 base units stock is counted in.`,
          { field: fieldOf(`${path}.quantity`) },
        )
      }
    }
    const sum = byProduct.get(l.productId)
    byProduct.set(l.productId, sum === undefined ? base : sum.plus(base))
  })
  for (const [productId, base] of byProduct) {
    if (base.gt(MAX_BASE_QUANTITY)) {
      const names = lines.filter((l) => l.productId === productId).map((l) => nameOfLine(l.origin))
      throw invalid(
        'SALES_QUANTITY_TOO_LARGE',
        `${namesForMessage(names)}: ${decimalString(base)} base units of one product; an invoice may hold at most ${MAX_BASE_QUANTITY}.`,
        { productId, baseQuantity: decimalString(base), max: MAX_BASE_QUANTITY.toFixed() },
      )
    }
  }
}

/** The lines' amounts within MAX_INVOICE_SUBTOTAL, so no amount, total or rollup a statement writes can overflow. */
function checkAmounts(lines: readonly WorkingLine[], priced: PricedInvoice): void {
  // line amounts are never negative: within the subtotal's limit, each line is too
  if (!new Big(priced.subtotal).gt(MAX_INVOICE_SUBTOTAL)) return
  const limit = money(MAX_INVOICE_SUBTOTAL)
  const tooLarge = lines.flatMap((l, i) => (new Big(priced.lines[i]!.grossAmount).gt(MAX_INVOICE_SUBTOTAL) ? [l.origin] : []))
  if (tooLarge.length > 0) {
    throw invalid(
      'SALES_AMOUNT_TOO_LARGE',
      `${namesForMessage(tooLarge.map(nameOfLine))}: quantity × unit price is more than the ${limit} an invoice may come to.`,
      { lines: tooLarge.map(originDetails), max: limit },
    )
  }
  throw invalid('SALES_AMOUNT_TOO_LARGE', `The lines come to ${priced.subtotal}, more than the ${limit} an invoice may come to.`, {
    subtotal: priced.subtotal,
    max: limit,
  })
}

/** Prices the lines with the shared exact pricing, and gives them as the rows to write. */
export function priceLines(
  lines: readonly WorkingLine[],
  invoiceDiscount: Discount,
): { priced: PricedInvoice; rows: NewInvoiceLine[] } {
  const bases = lines.map((l) => baseQuantityOf(l.quantity, l.factor))
  checkLineQuantities(lines, bases)
  const priced = priceInvoice(lines, invoiceDiscount)
  checkAmounts(lines, priced)
  const rows = lines.map((l, i): NewInvoiceLine => {
    const p = priced.lines[i]!
    return {
      position: l.position,
      product_id: l.productId,
      sku: l.sku,
      name: l.name,
      unit: l.unit,
      quantity: decimalString(l.quantity),
      factor: decimalString(l.factor),
      base_quantity: decimalString(bases[i]!),
      unit_price: decimalString(l.unitPrice),
      price_overridden: l.priceOverridden,
      tax_rate: decimalString(l.taxRate),
      gross_amount: p.grossAmount,
      discount_percent: l.discount.percent === null ? null : decimalString(l.discount.percent),
      discount_amount: p.discountAmount,
      invoice_discount_amount: p.invoiceDiscountAmount,
      net_amount: p.netAmount,
      tax_amount: p.taxAmount,
      total_amount: p.totalAmount,
    }
  })
  return { priced, rows }
}

export function totalsOf(priced: PricedInvoice, invoiceDiscount: Discount, lineCount: number): InvoiceTotals {
  return {
    discount_percent: invoiceDiscount.percent === null ? null : decimalString(invoiceDiscount.percent),
    discount_amount: priced.discountAmount,
    subtotal: priced.subtotal,
    line_discount_total: priced.lineDiscountTotal,
    net_total: priced.netTotal,
    tax_total: priced.taxTotal,
    total: priced.total,
    line_count: lineCount,
  }
}

/** Base units returned when `quantity` more of `line` comes back, taken cumulatively so the last return restores exactly what was sold. */
export function returnedBaseUnits(
  line: Pick<InvoiceLineRecord, 'quantity' | 'returned_quantity' | 'factor' | 'base_quantity'>,
  quantity: Big,
): Big {
  const sold = new Big(line.quantity)
  const returnedBefore = new Big(line.returned_quantity)
  const factor = new Big(line.factor)
  const returnedAfter = returnedBefore.plus(quantity)
  const upTo = returnedAfter.eq(sold) ? new Big(line.base_quantity) : baseQuantityOf(returnedAfter, factor)
  return upTo.minus(baseQuantityOf(returnedBefore, factor))
}
