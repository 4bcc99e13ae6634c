/**
 * - floor: the two statements of a product read sent straight to the primary with pg, no HTTP
 * - replicas-0, -1, -2: Brisk (cache off) with no replica (every read on the primary), one, two
 * The kill run, on the 2-replica app, comes after them (kill.ts).
 */
import { integerOption, numberOption } from '../scenario.ts'
export type Variant = 'floor' | 'replicas-0' | 'replicas-1' | 'replicas-2'
export const VARIANTS: readonly Variant[] = ['floor', 'replicas-0', 'replicas-1', 'replicas-2']
export const REPLICA_COUNTS = [0, 1, 2] as const

export const variantOf = (replicas: number): Variant => `replicas-${replicas}` as Variant

export interface Options {
  clients: number
  /** measured time of each variant (over all rounds), and of the kill run */
  durationMs: number
  warmupMs: number
  rounds: number
  products: number
  json: boolean
}

/** The cluster's servers take 40 connections each (pg-server-process.ts). */
const MAX_CLIENTS = 16

export function parseOptions(raw: Record<string, string | boolean | undefined>): Options {
  return {
    // the primary holds a connection per client for the floor and as many for Brisk over it: its server allows 40
    clients: integerOption(raw['clients'] ?? '8', 'clients', 1, MAX_CLIENTS),
    durationMs: numberOption(raw['duration'] ?? '10', 'duration', 0.3, 3600) * 1000,
    warmupMs: numberOption(raw['warmup'] ?? '1', 'warmup', 0, 600) * 1000,
    rounds: integerOption(raw['rounds'] ?? '5', 'rounds', 1, 1000),
    products: integerOption(raw['products'] ?? '1000', 'products', 1, 1_000_000),
    json: raw['json'] === true,
  }
}
