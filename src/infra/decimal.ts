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
