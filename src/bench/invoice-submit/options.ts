/**
 * - brisk: Brisk with a warm cache (master data from the memory tier)
 * - uncached: Brisk with the cache off (BRISK_CACHE=off): master data read from the database on every sale
 * - naive: a statement per line, read-modify-write
 * - floor: one hand-written statement
 */
import { integerOption } from '../scenario.ts'
export type Variant = 'brisk' | 'uncached' | 'naive' | 'floor'
export const VARIANTS: readonly Variant[] = ['brisk', 'uncached', 'naive', 'floor']
export const CASH_TENDERED = '1000000.00'

export interface Options {
  lines: number
  clients: number
  durationMs: number
  warmupMs: number
  products: number
  flow: 'checkout' | 'draft'
  http: boolean
  /** with --http: a short receipt (Prefer: return=minimal), as a till asks, or the whole invoice */
  answer: 'minimal' | 'full'
  variants: Variant[]
  rounds: number
  json: boolean
}

export function parseOptions(raw: Record<string, string | boolean | undefined>): Options {
  const flow = String(raw['flow'] ?? 'checkout')
  if (flow !== 'checkout' && flow !== 'draft') throw new Error('--flow must be checkout or draft')
  const answer = String(raw['answer'] ?? 'minimal')
  if (answer !== 'minimal' && answer !== 'full') throw new Error('--answer must be minimal or full')
  const variants = String(raw['variants'] ?? VARIANTS.join(','))
    .split(',')
    .map((v) => v.trim())
  const unknown = variants.filter((v) => !VARIANTS.includes(v as Variant))
  if (unknown.length > 0) throw new Error(`--variants: unknown ${unknown.join(', ')} (use ${VARIANTS.join(', ')})`)
  return {
    lines: integerOption(raw['lines'] ?? '51', 'lines', 1, 2000),
    clients: integerOption(raw['clients'] ?? '1', 'clients', 1, 256),
    durationMs: Number(raw['duration'] ?? '10') * 1000,
    warmupMs: Number(raw['warmup'] ?? '1') * 1000,
    products: integerOption(raw['products'] ?? '2000', 'products', 1, 1_000_000),
    flow,
    http: raw['http'] === true,
    answer,
    variants: variants as Variant[],
    rounds: integerOption(raw['rounds'] ?? '5', 'rounds', 1, 1000),
    json: raw['json'] === true,
  }
}
