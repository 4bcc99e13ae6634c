/**
 * Exact invoice arithmetic (big.js, never binary floating point). The rounding rule, in order:
 * 1. gross = quantity × unit price, rounded to cents half-up;
 * 2. line discount = gross × percent, rounded half-up (or a fixed amount, at most the gross);
 * 3. the invoice discount (percent of the discounted subtotal, rounded half-up, or a fixed amount)
 *    is spread over the lines in proportion to their discounted amounts: every share is rounded
 *    down to the cent and the cents left over go to the largest remainders (ties: earlier line),
 *    so the shares always add up to the invoice discount exactly;
 * 4. net = gross − line discount − invoice share; tax = net × rate, rounded half-up, per line;
 * 5. invoice totals are plain sums of the line amounts, so they never disagree with the lines.
 * Returns refund round(amount × returned so far / sold) − already refunded, so a line returned in
 * several steps refunds exactly its net and tax in the end.
 *
 * `priceInvoice` computes in whole cents held in ordinary numbers whenever every intermediate value
 * is a safe integer — exact, and an order of magnitude cheaper than big.js on a 51-line sale — and
 * hands anything else (huge values, invoice-level discounts, any error) to `priceInvoiceExact`,
 * the big.js reference. A property test holds the two to the same results.
 */
import { Big, money } from '../../infra/decimal.ts'
import { conflict, invalid } from '../../infra/errors.ts'
import { fieldOf } from './catalog.quantities.ts'

const ZERO = new Big(0)
const CENT = new Big('0.01')
// times(0.01) is exact and cheaper than div(100)
const PERCENT = CENT

export const roundMoney = (value: Big): Big => value.round(2, Big.roundHalfUp)

export interface Discount {
  /** a percent (0–100), or null when `amount` applies */
  percent: Big | null
  amount: Big
}

/** How an error names a line: its path in the request (`lines[2]`), the stored invoice line it is, or both. */
export interface LineOrigin {
  path?: string | undefined
  lineId?: number | undefined
}

/** `lines[2]`, `invoice line 17`, or `change[0] (invoice line 17)`. */
export function nameOfLine(origin: LineOrigin): string {
  const id = origin.lineId === undefined ? undefined : `invoice line ${origin.lineId}`
  if (origin.path === undefined) return id ?? 'a line'
  return id === undefined ? origin.path : `${origin.path} (${id})`
}

/** An origin as error details: `{ field, lineId }` (field: the path as a JSON Pointer), each only when known. */
export function originDetails(origin: LineOrigin): { field?: string; lineId?: number } {
  return {
    ...(origin.path === undefined ? {} : { field: fieldOf(origin.path) }),
    ...(origin.lineId === undefined ? {} : { lineId: origin.lineId }),
  }
}

export interface PricingLine {
  quantity: Big
  unitPrice: Big
  taxRate: Big
  discount: Discount
  /** how errors name the line; by default `lines[i]`, its index in the priced list */
  origin?: LineOrigin | undefined
}

/** Money as text with two decimals ("12.30"). */
export interface PricedLine {
  grossAmount: string
  discountAmount: string
  invoiceDiscountAmount: string
  netAmount: string
  taxAmount: string
  totalAmount: string
}

export interface PricedInvoice {
  lines: PricedLine[]
  subtotal: string
  lineDiscountTotal: string
  /** the invoice-level discount actually applied */
  discountAmount: string
  netTotal: string
  taxTotal: string
  total: string
}

function percentOf(amount: Big, percent: Big): Big {
  return roundMoney(amount.times(percent).times(PERCENT))
}

/** Prices every line and the invoice; errors name a line by its `origin`. */
export function priceInvoice(lines: readonly PricingLine[], invoiceDiscount: Discount): PricedInvoice {
  return priceInCents(lines, invoiceDiscount) ?? priceInvoiceExact(lines, invoiceDiscount)
}

/** The reference: every step in big.js. */
export function priceInvoiceExact(lines: readonly PricingLine[], invoiceDiscount: Discount): PricedInvoice {
  const afterLine = lines.map((line, index) => {
    const gross = roundMoney(line.quantity.times(line.unitPrice))
    const discount = line.discount.percent !== null ? percentOf(gross, line.discount.percent) : line.discount.amount
    if (discount.gt(gross)) {
      const origin = line.origin ?? { path: `lines[${index}]` }
      throw invalid(
        'SALES_DISCOUNT_EXCEEDS_LINE',
        `${nameOfLine(origin)}: the discount ${money(discount)} is larger than the line amount ${money(gross)}.`,
        originDetails(origin),
      )
    }
    return { gross, discount, rest: gross.minus(discount) }
  })
  const base = afterLine.reduce((sum, l) => sum.plus(l.rest), ZERO)
  const invoiceDiscountAmount =
    invoiceDiscount.percent !== null ? percentOf(base, invoiceDiscount.percent) : invoiceDiscount.amount
  if (invoiceDiscountAmount.gt(base)) {
    throw invalid(
      'SALES_DISCOUNT_EXCEEDS_INVOICE',
      `The invoice discount ${money(invoiceDiscountAmount)} is larger than the discounted subtotal ${money(base)}.`,
    )
  }
  const shares = allocate(
    invoiceDiscountAmount,
    afterLine.map((l) => l.rest),
  )
  let subtotal = ZERO
  let lineDiscountTotal = ZERO
  let netTotal = ZERO
  let taxTotal = ZERO
  const priced = afterLine.map((l, i): PricedLine => {
    const share = shares[i] ?? ZERO
    const net = l.rest.minus(share)
    const tax = percentOf(net, lines[i]!.taxRate)
    subtotal = subtotal.plus(l.gross)
    lineDiscountTotal = lineDiscountTotal.plus(l.discount)
    netTotal = netTotal.plus(net)
    taxTotal = taxTotal.plus(tax)
    return {
      grossAmount: money(l.gross),
      discountAmount: money(l.discount),
      invoiceDiscountAmount: money(share),
      netAmount: money(net),
      taxAmount: money(tax),
      totalAmount: money(net.plus(tax)),
    }
  })
  return {
    lines: priced,
    subtotal: money(subtotal),
    lineDiscountTotal: money(lineDiscountTotal),
    discountAmount: money(invoiceDiscountAmount),
    netTotal: money(netTotal),
    taxTotal: money(taxTotal),
    total: money(netTotal.plus(taxTotal)),
  }
}

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i) // exact in a double up to 10^22

/** A non-negative decimal as a safe integer count of 10^-scale, or undefined. */
function scaledOf(value: Big): { units: number; scale: number } | undefined {
  // big.js keeps the digits (most significant first) in c and the decimal exponent in e
  const digits = value.c
  if (value.s < 0 || digits.length > 15) return undefined
  let units = 0
  for (const digit of digits) units = units * 10 + digit
  const scale = digits.length - 1 - value.e
  if (scale >= 0) return { units, scale }
  const shifted = units * (POWERS_OF_TEN[-scale] ?? Number.POSITIVE_INFINITY)
  return Number.isSafeInteger(shifted) ? { units: shifted, scale: 0 } : undefined
}

/** units × 10^-scale rounded half-up to cents; undefined when not exact in a double. */
function toCents(units: number, scale: number): number | undefined {
  if (!Number.isSafeInteger(units)) return undefined
  if (scale <= 2) {
    const cents = units * POWERS_OF_TEN[2 - scale]!
    return Number.isSafeInteger(cents) ? cents : undefined
  }
  const divisor = POWERS_OF_TEN[scale - 2]
  if (divisor === undefined) return undefined
  const rest = units % divisor
  return (units - rest) / divisor + (2 * rest >= divisor ? 1 : 0)
}

/** Cents as money text ("12.30"). */
export function centsText(cents: number): string {
  const rest = cents % 100
  return `${(cents - rest) / 100}.${rest < 10 ? '0' : ''}${rest}`
}

/**
 * priceInvoiceExact in whole cents, or undefined when some value does not fit a safe integer, an
 * invoice-level discount applies (its spreading stays in big.js) or a rule is broken (the
 * reference then throws the error).
 */
export function priceInCents(lines: readonly PricingLine[], invoiceDiscount: Discount): PricedInvoice | undefined {
  const noInvoiceDiscount = invoiceDiscount.percent === null ? invoiceDiscount.amount.eq(0) : invoiceDiscount.percent.eq(0)
  if (!noInvoiceDiscount) return undefined
  let subtotal = 0
  let lineDiscountTotal = 0
  let netTotal = 0
  let taxTotal = 0
  const priced: PricedLine[] = []
  for (const line of lines) {
    const quantity = scaledOf(line.quantity)
    const unitPrice = scaledOf(line.unitPrice)
    const taxRate = scaledOf(line.taxRate)
    if (!quantity || !unitPrice || !taxRate) return undefined
    const gross = toCents(quantity.units * unitPrice.units, quantity.scale + unitPrice.scale)
    if (gross === undefined) return undefined
    let discount: number | undefined
    if (line.discount.percent !== null) {
      const percent = scaledOf(line.discount.percent)
      // cents × percent / 100: the percent's scale, plus 2 for "per cent", plus 2 because both are cents
      discount = percent && toCents(gross * percent.units, percent.scale + 4)
    } else {
      const amount = scaledOf(line.discount.amount)
      discount = amount && amount.scale <= 2 ? toCents(amount.units, amount.scale) : undefined
    }
    if (discount === undefined || discount > gross) return undefined
    const net = gross - discount
    const tax = toCents(net * taxRate.units, taxRate.scale + 4)
    if (tax === undefined) return undefined
    subtotal += gross
    lineDiscountTotal += discount
    netTotal += net
    taxTotal += tax
    priced.push({
      grossAmount: centsText(gross),
      discountAmount: centsText(discount),
      invoiceDiscountAmount: '0.00',
      netAmount: centsText(net),
      taxAmount: centsText(tax),
      totalAmount: centsText(net + tax),
    })
  }
  if (!Number.isSafeInteger(netTotal + taxTotal)) return undefined
  return {
    lines: priced,
    subtotal: centsText(subtotal),
    lineDiscountTotal: centsText(lineDiscountTotal),
    discountAmount: '0.00',
    netTotal: centsText(netTotal),
    taxTotal: centsText(taxTotal),
    total: centsText(netTotal + taxTotal),
  }
}

/** Splits `amount` (cents) over `weights` in proportion, exactly: largest remainder method. */
export function allocate(amount: Big, weights: readonly Big[]): Big[] {
  if (amount.eq(0)) return weights.map(() => ZERO)
  const total = weights.reduce((sum, w) => sum.plus(w), ZERO)
  if (total.eq(0)) return weights.map(() => ZERO)
  const exact = weights.map((w) => amount.times(w).div(total))
  const shares = exact.map((e) => e.round(2, Big.roundDown))
  let leftCents = amount.minus(shares.reduce((sum, s) => sum.plus(s), ZERO)).div(CENT).toNumber()
  const order = exact
    .map((e, i) => ({ i, remainder: e.minus(shares[i]!) }))
    .sort((a, b) => b.remainder.cmp(a.remainder) || a.i - b.i)
  for (const { i } of order) {
    if (leftCents <= 0) break
    shares[i] = shares[i]!.plus(CENT)
    leftCents -= 1
  }
  return shares
}

/** A payment as offered; `M` is the seller's set of payment methods, of which 'cash' gives change. */
export interface TenderInput<M extends string = string> {
  method: M
  amount: Big
  reference?: string | null | undefined
}

export interface AppliedTender<M extends string = string> {
  method: M
  /** applied to the invoice */
  amount: Big
  tendered: Big
  change: Big
  reference: string | null
}

/**
 * Applies tenders in order to what is due. Cash may exceed the amount due: the rest is change.
 * Card and other tenders may not exceed it (a card is charged what is due, never more).
 */
export function applyTenders<M extends string>(
  due: Big,
  tenders: readonly TenderInput<M>[],
): { applied: AppliedTender<M>[]; paid: Big; change: Big } {
  let left = due
  let paid = ZERO
  let change = ZERO
  const applied = tenders.map((tender, index): AppliedTender<M> => {
    const path = `payments[${index}]`
    if (tender.amount.lte(0)) {
      throw invalid('SALES_PAYMENT_NOT_POSITIVE', `${path}.amount must be above zero.`, { field: fieldOf(`${path}.amount`) })
    }
    if (!tender.amount.eq(roundMoney(tender.amount))) {
      throw invalid('SALES_PAYMENT_NOT_CENTS', `${path}.amount must be a whole number of cents.`, {
        field: fieldOf(`${path}.amount`),
      })
    }
    if (left.lte(0)) throw conflict('SALES_NOTHING_DUE', `${path}: nothing is due on this invoice.`, { field: fieldOf(path) })
    let amount = tender.amount
    let tenderChange = ZERO
    if (amount.gt(left)) {
      if (tender.method !== 'cash') {
        throw invalid('SALES_OVERPAYMENT', `${path} (${tender.method}) is ${money(amount)}, more than the ${money(left)} due.`, {
          field: fieldOf(path),
          due: money(left),
        })
      }
      tenderChange = amount.minus(left)
      amount = left
    }
    left = left.minus(amount)
    paid = paid.plus(amount)
    change = change.plus(tenderChange)
    return { method: tender.method, amount, tendered: tender.amount, change: tenderChange, reference: tender.reference ?? null }
  })
  return { applied, paid, change }
}

export interface ReturnableLine {
  quantity: Big
  netAmount: Big
  taxAmount: Big
  returnedQuantity: Big
  returnedNet: Big
  returnedTax: Big
}

/** Net and tax refunded for returning `quantity` more of a line (see the rule at the top). */
export function refundFor(line: ReturnableLine, quantity: Big): { net: Big; tax: Big; total: Big } {
  const returned = line.returnedQuantity.plus(quantity)
  const share = (amount: Big, already: Big) =>
    returned.eq(line.quantity) ? amount.minus(already) : roundMoney(amount.times(returned).div(line.quantity)).minus(already)
  const net = share(line.netAmount, line.returnedNet)
  const tax = share(line.taxAmount, line.returnedTax)
  return { net, tax, total: net.plus(tax) }
}
