import { DEFAULT_CHUNK_SIZE, importKindOf } from '../../modules/imports/index.ts'
import { integerOption, numberOption } from '../scenario.ts'

/** The chunk size an import of this kind runs with when not told. */
const defaultChunkSizeOf = (operation: Operation) => importKindOf(operation).defaultChunkSize ?? DEFAULT_CHUNK_SIZE

/** What is imported; orders are `brisk bench batch-orders`. */
export type Operation = 'views' | 'scores' | 'products' | 'stock'
export const OPERATIONS: readonly Operation[] = ['views', 'scores', 'products', 'stock']
export type Variant = 'naive' | 'brisk' | 'floor'
export const VARIANTS: readonly Variant[] = ['naive', 'brisk', 'floor']
export const MAX_SIZE = 10_000_000

export interface Options {
  operation: Operation
  size: number
  chunkSize: number
  variants: Variant[]
  /** concurrent POS tills during each variant (0: none) */
  tills: number
  /** seconds the tills sell alone, for their idle p99 */
  idleMs: number
  json: boolean
}

function listOption<T extends string>(value: string, name: string, allowed: readonly T[]): T[] {
  const items = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
  const unknown = items.filter((v) => !allowed.includes(v as T))
  if (unknown.length > 0 || items.length === 0) throw new Error(`--${name}: unknown ${unknown.join(', ') || '(none given)'} (use ${allowed.join(', ')})`)
  return [...new Set(items as T[])]
}

export function parseOptions(raw: Record<string, string | boolean | undefined>): Options {
  const operation = String(raw['operation'] ?? 'views')
  if (operation === 'orders') throw new Error('--operation orders: run `brisk bench batch-orders --operation import` (orders have their own bench)')
  if (!OPERATIONS.includes(operation as Operation)) throw new Error(`--operation must be ${OPERATIONS.join(', ')}`)
  return {
    operation: operation as Operation,
    size: integerOption(raw['size'] ?? '10000', 'size', 1, MAX_SIZE),
    chunkSize: raw['chunk'] === undefined ? defaultChunkSizeOf(operation as Operation) : integerOption(raw['chunk'], 'chunk', 1, 100_000),
    variants: listOption(String(raw['variants'] ?? VARIANTS.join(',')), 'variants', VARIANTS),
    tills: integerOption(raw['tills'] ?? '4', 'tills', 0, 64),
    idleMs: numberOption(raw['idle'] ?? '3', 'idle', 0.1, 600) * 1000,
    json: raw['json'] === true,
  }
}
