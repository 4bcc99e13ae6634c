import { integerOption } from '../scenario.ts'

/** mark-paid: placed orders become paid; import: marketplace orders placed with their lines and stock. */
export type Operation = 'mark-paid' | 'import'
export const OPERATIONS: readonly Operation[] = ['mark-paid', 'import']
export const DEFAULT_SIZES = '10,1000,100000'
export const MAX_SIZE = 1_000_000

export interface Options {
  sizes: number[]
  operation: Operation
  json: boolean
}

export function parseOptions(raw: Record<string, string | boolean | undefined>): Options {
  const operation = String(raw['operation'] ?? 'mark-paid')
  if (!OPERATIONS.includes(operation as Operation)) throw new Error(`--operation must be ${OPERATIONS.join(' or ')}`)
  const sizes = String(raw['size'] ?? DEFAULT_SIZES)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => integerOption(s, 'size', 1, MAX_SIZE))
  if (sizes.length === 0) throw new Error('--size: give at least one number of orders')
  return { sizes, operation: operation as Operation, json: raw['json'] === true }
}
