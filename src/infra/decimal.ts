import Big from 'big.js'
import { invalid } from './errors.ts'

// Enough for numeric(20,9) factors; rounding is explicit wherever money is produced.
Big.DP = 12
Big.RM = Big.roundHalfUp
Big.strict = false

export { Big }

/** Reads a decimal from an API value; a JSON number is taken through its shortest decimal form. */
export function parseDecimal(value: string | number, field: string): Big {
  if (typeof value === 'number' && !Number.isFinite(value)) throw invalid('INVALID_DECIMAL', `${field} must be a finite number`)
  try {
    return new Big(typeof value === 'number' ? String(value) : value)
  } catch {
    throw invalid('INVALID_DECIMAL', `${field} is not a decimal number: ${JSON.stringify(value)}`)
  }
}

/** A decimal as a plain string without exponent, trailing zeros dropped ("1.50" → "1.5"). */
export function decimalString(value: Big | string): string {
  const big = typeof value === 'string' ? new Big(value) : value
  return big.toFixed()
}

/** Money to two places, half-up. */
export function money(value: Big | string): string {
  const big = typeof value === 'string' ? new Big(value) : value
  return big.toFixed(2, Big.roundHalfUp)
}

/**
 * What a decimal input accepts: the scale of the column it is stored in (more decimals would be
 * rounded away silently) and bounds chosen so that the products and sums it feeds fit their
 * columns too (see each limit). Schemas show them (`x-decimal`), services enforce them.
 */
export interface DecimalLimits {
  scale: number
  /** inclusive, as exact decimal strings */
  min: string
  max: string
}

/**
 * A quantity on a request line, in the line's unit: numeric(20,6) columns. A million per line keeps
 * quantity × price and the stock a request moves far inside numeric(14,2) and numeric(20,6).
 */
export const QUANTITY_LIMITS: DecimalLimits = { scale: 6, min: '-1000000', max: '1000000' }

/** An amount of money a request names (a payment, a discount): numeric(14,2); 20 tenders stay below its limit. */
export const MONEY_LIMITS: DecimalLimits = { scale: 2, min: '0', max: '1000000000' }

/** A catalog price per base unit: numeric(14,2), and at most what one invoice may total. */
export const PRICE_LIMITS: DecimalLimits = MONEY_LIMITS

/** A unit price set on an invoice line (the column is unbounded numeric; the line amount is not). */
export const UNIT_PRICE_LIMITS: DecimalLimits = { scale: 9, min: '0', max: '1000000000' }

/** A discount in percent: numeric(7,4), 0–100. */
export const PERCENT_LIMITS: DecimalLimits = { scale: 4, min: '0', max: '100' }

/** A tax rate in percent: numeric(6,3), 0–100. */
export const TAX_RATE_LIMITS: DecimalLimits = { scale: 3, min: '0', max: '100' }

/** Base units in one unit of a product: numeric(20,9), above zero. */
export const FACTOR_LIMITS: DecimalLimits = { scale: 9, min: '0.000000001', max: '1000000' }

/**
 * Stock moved for one product by one request, in base units (quantity × factor, rounded half-up
 * to the 6 decimals stock is kept in): at most a billion, so no statement can overflow a stock
 * level, a ledger row or a rollup.
 */
export const MAX_BASE_QUANTITY = new Big('1000000000')

/** The decimals stock levels, the ledger and base quantities keep: numeric(20,6). */
export const BASE_QUANTITY_SCALE = 6

/** Base units of `quantity × factor` as stored: rounded half-up (away from zero) to BASE_QUANTITY_SCALE. */
export const baseQuantityOf = (quantity: Big, factor: Big): Big => quantity.times(factor).round(BASE_QUANTITY_SCALE, Big.roundHalfUp)

/** `lines[2].quantity` → `/lines/2/quantity`: where a request field is, as a JSON Pointer. */
export function pointerOf(path: string): string {
  return path === '' ? '' : `/${path.replace(/\[(\d+)\]/g, '.$1').split('.').join('/')}`
}

/**
 * `value` checked against `limits`; the error (kind invalid, a 422) names the field by `path`
 * (`lines[2].quantity`), and its details the field as a JSON Pointer and the limit broken.
 */
export function checkDecimal(value: Big, path: string, limits: DecimalLimits, code: string): Big {
  const bounds = boundsOf(limits)
  // big.js keeps the digits in c and the exponent in e: the decimals are the digits after the point
  if (value.c.length - value.e - 1 > limits.scale) {
    throw invalid(code, `${path} may have at most ${limits.scale} decimals.`, { field: pointerOf(path), scale: limits.scale })
  }
  if (value.lt(bounds.min)) throw invalid(code, `${path} must be at least ${limits.min}.`, { field: pointerOf(path), min: limits.min })
  if (value.gt(bounds.max)) throw invalid(code, `${path} must be at most ${limits.max}.`, { field: pointerOf(path), max: limits.max })
  return value
}

/** The bounds as Big, parsed once per limits: a 51-line sale checks them 51 times. */
const parsedBounds = new WeakMap<DecimalLimits, { min: Big; max: Big }>()

function boundsOf(limits: DecimalLimits): { min: Big; max: Big } {
  let bounds = parsedBounds.get(limits)
  if (!bounds) {
    bounds = { min: new Big(limits.min), max: new Big(limits.max) }
    parsedBounds.set(limits, bounds)
  }
  return bounds
}

/** parseDecimal then checkDecimal, with one error code for both. */
export function readDecimal(value: string | number, path: string, limits: DecimalLimits, code: string): Big {
  let parsed: Big
  try {
    parsed = parseDecimal(value, path)
  } catch {
    throw invalid(code, `${path} is not a decimal number.`, { field: pointerOf(path) })
  }
  return checkDecimal(parsed, path, limits, code)
}
