/** One size of the benchmark: its orders set up (not measured), then Brisk's batch service and the naive loop, each timed and counted. */
import { performance } from 'node:perf_hooks'
import type { Db } from '../../infra/db/database.ts'
import { newQueryStats, runWithQueryStats } from '../../infra/db/query-stats.ts'
import { SYSTEM_PRINCIPAL } from '../../modules/access/index.ts'
import type { OrdersService } from '../../modules/orders/index.ts'
import type { Progress } from '../progress.ts'
import { type Loop, naiveImport, naiveMarkPaid } from './naive.ts'
import type { Operation } from './options.ts'
import { marketplaceOrders, placedOrders, type Shop, settle } from './setup.ts'

export type Variant = 'naive' | 'brisk'

export interface Measured {
  size: number
  variant: Variant
  /** statements sent, BEGIN and COMMIT included (the batch log's two included for brisk) */
  statements: number
  ms: number
  ordersPerSecond: number
  /** orders the variant changed or placed: every one of them, or the run failed */
  orders: number
  /** brisk: the statements its batch log row counted */
  loggedStatements?: number
}

export interface Bench {
  db: Db
  shop: Shop
  /** the service measured (default chunk size) and the one that sets up (bigger chunks) */
  orders: OrdersService
  setupOrders: OrdersService
  progress: Progress
  signal: AbortSignal
}

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; statements: number; ms: number }> {
  const stats = newQueryStats()
  const start = performance.now()
  const result = await runWithQueryStats(stats, fn)
  return { result, statements: stats.count, ms: performance.now() - start }
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

function measured(size: number, variant: Variant, run: { statements: number; ms: number }, orders: number, logged?: number): Measured {
  if (orders !== size) throw new Error(`${variant}, ${size} orders: only ${orders} went through`)
  return {
    size,
    variant,
    statements: run.statements,
    ms: round(run.ms, 2),
    ordersPerSecond: round(size / (run.ms / 1000), 0),
    orders,
    ...(logged === undefined ? {} : { loggedStatements: logged }),
  }
}

function loopOf(bench: Bench, size: number): Loop {
  return { signal: bench.signal, done: (n) => bench.progress.detail(`${n}/${size} orders`) }
}

/** Placed orders become paid: 2 × `size` placed orders set up, half for each variant. Undefined: interrupted. */
export async function markPaidSize(bench: Bench, size: number): Promise<Measured[] | undefined> {
  const { db, shop, progress } = bench
  progress.phase(`${size} orders: setting up ${2 * size} placed orders (not measured)`)
  const briskIds = await placedOrders(bench.setupOrders, shop, `brisk${size}`, size, progress)
  const naiveIds = await placedOrders(bench.setupOrders, shop, `naive${size}`, size, progress)
  if (bench.signal.aborted) return undefined
  await settle(db)
  progress.phase(`${size} orders: brisk marks them paid`)
  const brisk = await timed(() => bench.orders.markOrdersPaid(SYSTEM_PRINCIPAL, { orderIds: briskIds }))
  await settle(db)
  progress.phase(`${size} orders: naive marks them paid`)
  const naive = await timed(() => naiveMarkPaid(db, naiveIds, loopOf(bench, size)))
  if (bench.signal.aborted) return undefined
  return [
    measured(size, 'naive', naive, naive.result),
    measured(size, 'brisk', brisk, brisk.result.batch.rowsSucceeded, brisk.result.batch.statements),
  ]
}

/** Marketplace orders imported: placed with their lines, history, stock, ledger and rollups. Undefined: interrupted. */
export async function importSize(bench: Bench, size: number): Promise<Measured[] | undefined> {
  const { db, shop, progress } = bench
  const briskOrders = marketplaceOrders(shop, `brisk${size}`, size)
  const naiveOrders = marketplaceOrders(shop, `naive${size}`, size)
  await settle(db)
  progress.phase(`${size} orders: brisk imports them`)
  const source = { source: 'marketplace:bench', locationId: shop.locationId }
  const brisk = await timed(() => bench.orders.importOrders(SYSTEM_PRINCIPAL, { ...source, orders: briskOrders }))
  await settle(db)
  progress.phase(`${size} orders: naive imports them`)
  const naive = await timed(() => naiveImport(db, 'marketplace:naive', shop.locationId, naiveOrders, loopOf(bench, size)))
  if (bench.signal.aborted) return undefined
  return [
    measured(size, 'naive', naive, naive.result),
    measured(size, 'brisk', brisk, brisk.result.batch.rowsSucceeded, brisk.result.batch.statements),
  ]
}

export const SIZE_RUNS: Record<Operation, (bench: Bench, size: number) => Promise<Measured[] | undefined>> = {
  'mark-paid': markPaidSize,
  import: importSize,
}
