/**
 * POS tills selling while a variant runs: invoice-submit's sales (its setup, its templates and its
 * in-process sales service with a warm cache), sold by `count` concurrent loops, each sale's latency
 * and every failure counted. Their location and products are their own: the import never writes
 * the rows a sale locks, so what the tills feel is the load, not a lock wait by design.
 */
import { performance } from 'node:perf_hooks'
import { memoryOnlyCache } from '../../infra/cache/cache.ts'
import type { Db } from '../../infra/db/database.ts'
import { serviceOp } from '../invoice-submit/brisk.ts'
import type { Op } from '../invoice-submit/driver.ts'
import { parseOptions } from '../invoice-submit/options.ts'
import { setUp, type Template } from '../invoice-submit/setup.ts'
import { percentile } from '../scenario.ts'

const TILL_LINES = '3'
const TILL_PRODUCTS = '200'
const PAUSE_EVERY_MS = 50

export interface TillFigures {
  sales: number
  errors: number
  p50Ms: number
  p99Ms: number
  firstError?: string
}

export interface Tills {
  /** sells until the returned function is called; that answers the figures */
  start(): () => Promise<TillFigures>
  close(): Promise<void>
}

/** The tills' location, products and stock, and every template sold once (the cache warm). */
export async function openTills(db: Db, count: number): Promise<Tills> {
  const options = parseOptions({ lines: TILL_LINES, products: TILL_PRODUCTS })
  const { locationId, templates } = await setUp(db, options)
  const cache = memoryOnlyCache()
  const op = serviceOp(db, cache, locationId, 'checkout')
  for (const template of templates) await op(template)
  return { start: () => sell(op, templates, count), close: () => cache.close() }
}

function sell(op: Op, templates: Template[], count: number): () => Promise<TillFigures> {
  const latencies: number[] = []
  let errors = 0
  let firstError: string | undefined
  let stopped = false
  let next = 0
  const till = async () => {
    let paused = performance.now()
    while (!stopped) {
      // PGlite answers within the microtask queue: a pause now and then lets the import run too
      if (performance.now() - paused > PAUSE_EVERY_MS) {
        await new Promise(setImmediate)
        paused = performance.now()
      }
      const t0 = performance.now()
      try {
        await op(templates[next++ % templates.length]!)
        latencies.push(performance.now() - t0)
      } catch (error) {
        errors += 1
        firstError ??= error instanceof Error ? error.message : String(error)
      }
    }
  }
  const running = Promise.all(Array.from({ length: count }, till))
  return async () => {
    stopped = true
    await running
    const sorted = Float64Array.from(latencies).sort()
    const round = (n: number) => Math.round(n * 100) / 100
    return { sales: sorted.length, errors, p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), ...(firstError ? { firstError } : {}) }
  }
}
