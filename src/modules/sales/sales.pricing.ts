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
 */
import { Big } from '../../infra/decimal.ts'
import { conflict, invalid } from '../../infra/errors.ts'
import type { PaymentMethod } from './sales.tables.ts'

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

export interface PricingLine {
  quantity: Big
  unitPrice: Big
  taxRate: Big
  discount: Discount
}

export interface PricedLine {
  grossAmount: Big
  discountAmount: Big
  invoiceDiscountAmount: Big
  netAmount: Big
  taxAmount: Big
  totalAmount: Big
}

export interface PricedInvoice {
  lines: PricedLine[]
  subtotal: Big
  lineDiscountTotal: Big
  /** the invoice-level discount actually applied */
  discountAmount: Big
  netTotal: Big
  taxTotal: Big
  total: Big
}

function percentOf(amount: Big, percent: Big): Big {
  return roundMoney(amount.times(percent).times(PERCENT))
}

/** Prices every line and the invoice. `lineIndex` in errors is the line's index in `lines`. */
export function priceInvoice(lines: readonly PricingLine[], invoiceDiscount: Discount): PricedInvoice {
  const afterLine = lines.map((line, index) => {
    const gross = roundMoney(line.quantity.times(line.unitPrice))
    const discount = line.discount.percent !== null ? percentOf(gross, line.discount.percent) : line.discount.amount
    if (discount.gt(gross)) {
      throw invalid('SALES_DISCOUNT_EXCEEDS_LINE', `Line ${index}: the discount ${discount} is larger than the line amount ${gross}.`, {
        line: index,
      })
    }
    return { gross, discount, rest: gross.minus(discount) }
  })
  const base = afterLine.reduce((sum, l) => sum.plus(l.rest), ZERO)
  const invoiceDiscountAmount =
    invoiceDiscount.percent !== null ? percentOf(base, invoiceDiscount.percent) : invoiceDiscount.amount
  if (invoiceDiscountAmount.gt(base)) {
    throw invalid(
      'SALES_DISCOUNT_EXCEEDS_INVOICE',
      `The invoice discount ${invoiceDiscountAmount} is larger than the discounted subtotal ${base}.`,
    )
  }
  const shares = allocate(
    invoiceDiscountAmount,
    afterLine.map((l) => l.rest),
  )
  const priced = afterLine.map((l, i): PricedLine => {
    const share = shares[i] ?? ZERO
    const net = l.rest.minus(share)
    const tax = percentOf(net, lines[i]!.taxRate)
    return {
      grossAmount: l.gross,
      discountAmount: l.discount,
      invoiceDiscountAmount: share,
      netAmount: net,
      taxAmount: tax,
      totalAmount: net.plus(tax),
    }
  })
  const sum = (pick: (l: PricedLine) => Big) => priced.reduce((total, l) => total.plus(pick(l)), ZERO)
  return {
    lines: priced,
    subtotal: sum((l) => l.grossAmount),
    lineDiscountTotal: sum((l) => l.discountAmount),
    discountAmount: invoiceDiscountAmount,
    netTotal: sum((l) => l.netAmount),
    taxTotal: sum((l) => l.taxAmount),
    total: sum((l) => l.totalAmount),
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

export interface TenderInput {
  method: PaymentMethod
  amount: Big
  reference?: string | null | undefined
}

export interface AppliedTender {
  method: PaymentMethod
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
export function applyTenders(due: Big, tenders: readonly TenderInput[]): { applied: AppliedTender[]; paid: Big; change: Big } {
  let left = due
  let paid = ZERO
  let change = ZERO
  const applied = tenders.map((tender, index): AppliedTender => {
    if (tender.amount.lte(0)) throw invalid('SALES_PAYMENT_NOT_POSITIVE', `Payment ${index} must be above zero.`, { payment: index })
    if (!tender.amount.eq(roundMoney(tender.amount))) {
      throw invalid('SALES_PAYMENT_NOT_CENTS', `Payment ${index} must be a whole number of cents.`, { payment: index })
    }
    if (left.lte(0)) throw conflict('SALES_NOTHING_DUE', `Payment ${index}: nothing is due on this invoice.`, { payment: index })
    let amount = tender.amount
    let tenderChange = ZERO
    if (amount.gt(left)) {
      if (tender.method !== 'cash') {
        throw invalid('SALES_OVERPAYMENT', `Payment ${index} (${tender.method}) is ${amount}, more than the ${left} due.`, {
          payment: index,
          due: left.toFixed(2),
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
