import { integerOption, numberOption } from '../scenario.ts'

/**
 * - floor: a bare Fastify in the bench's process answering each page's bytes (as the app sends them
 *   to the bench's visitor) from a constant: the cost of Fastify and the network alone
 * - hooks: the same bytes from a constant on a route of Brisk's app: its hooks, no storefront code
 * - cached: the two-pass page cache on: the shell from the memory tier, the holes filled per request
 * - off: the page cache off: every page rendered on every request (the catalog's own cache stays on)
 */
export type Variant = 'floor' | 'hooks' | 'cached' | 'off'
export const VARIANTS: readonly Variant[] = ['floor', 'hooks', 'cached', 'off']

/** The pages measured, the kinds of the load client's rows. */
export const PAGE_KINDS = ['product', 'category'] as const

export interface Options {
  clients: number
  durationMs: number
  warmupMs: number
  rounds: number
  /** product pages requested (the demo shop has 240), beside every category page */
  products: number
  json: boolean
}

export function parseOptions(raw: Record<string, string | boolean | undefined>): Options {
  return {
    clients: integerOption(raw['clients'] ?? '8', 'clients', 1, 1024),
    durationMs: numberOption(raw['duration'] ?? '10', 'duration', 0.1, 3600) * 1000,
    warmupMs: numberOption(raw['warmup'] ?? '1', 'warmup', 0, 600) * 1000,
    rounds: integerOption(raw['rounds'] ?? '5', 'rounds', 1, 1000),
    products: integerOption(raw['products'] ?? '40', 'products', 1, 240),
    json: raw['json'] === true,
  }
}
