import type { RouterStatus } from '../../infra/db/read-router.ts'
import type { LatencyStats, LoadClient, LoadRun, LoadTarget } from '../http-load.ts'
import { statsOf } from '../http-load.ts'
import type { Progress } from '../progress.ts'
import { seededRandom } from '../catalog-read/setup.ts'
import type { BriskOverCluster } from './cluster.ts'
import { FLOOR_STATEMENTS_PER_READ, type Floor } from './floor.ts'
import { type Options, type Variant, variantOf } from './options.ts'

/** Statements served, by node: `primary`, `replica-1`, `replica-2`. */
export type NodeReads = Record<string, number>

/** What every variant reads: each product by id, in a seeded random order. */
export interface Workload {
  targets: LoadTarget[]
  sequence: number[]
}

const SEQUENCE_LENGTH = 1 << 16

export function readWorkload(productIds: readonly number[]): Workload {
  const random = seededRandom(7)
  return {
    targets: productIds.map((id) => ({ path: `/api/products/${id}`, kind: 0 })),
    sequence: Array.from({ length: SEQUENCE_LENGTH }, () => Math.floor(random() * productIds.length)),
  }
}

export interface Watch {
  progress: Progress
  signal: AbortSignal
}

export interface VariantTotals {
  requests: number
  errors: number
  firstError: string | undefined
  elapsedMs: number
  /** by node, as the read router counted them; none for the floor and Brisk without replicas */
  reads: NodeReads | undefined
  stats: LatencyStats | undefined
}

/** The router's counts: each replica's reads, and the primary's (every reason together). */
export function readsOf(status: RouterStatus): NodeReads {
  const reads: NodeReads = { primary: Object.values(status.primaryReads).reduce((sum, n) => sum + n, 0) }
  for (const node of status.nodes) reads[node.name] = node.reads
  return reads
}

export function readsBetween(before: NodeReads, after: NodeReads): NodeReads {
  return Object.fromEntries(Object.entries(after).map(([node, n]) => [node, n - (before[node] ?? 0)]))
}

function addReads(total: NodeReads | undefined, more: NodeReads): NodeReads {
  const sum = { ...(total ?? {}) }
  for (const [node, n] of Object.entries(more)) sum[node] = (sum[node] ?? 0) + n
  return sum
}

export function loadRun(port: number, label: string, options: Options, workload: Workload): LoadRun {
  return { label, host: '127.0.0.1', port, connections: options.clients, headerLines: '', ...workload, kinds: ['by id'] }
}

/** One turn of a variant; its figures count only when `measured` (not in the warm-up). */
type Slice = (durationMs: number, measured: boolean) => Promise<void>

const noTotals = (): VariantTotals => ({ requests: 0, errors: 0, firstError: undefined, elapsedMs: 0, reads: undefined, stats: undefined })

/**
 * Every variant is warmed up, then the variants take turns in short slices (rounds), so a busy
 * neighbour on the machine weighs on all of them alike.
 */
export async function measureVariants(
  client: LoadClient,
  floor: Floor,
  servers: readonly BriskOverCluster[],
  options: Options,
  workload: Workload,
  watch: Watch,
): Promise<Map<Variant, VariantTotals>> {
  const { progress, signal } = watch
  const totals = new Map<Variant, VariantTotals>([['floor', noTotals()]])
  const floorLatencies: number[] = []
  const slices: [Variant, Slice][] = [
    ['floor', (ms, measured) => sliceOfFloor(floor, ms, signal, measured ? { total: totals.get('floor')!, latencies: floorLatencies } : undefined)],
  ]
  for (const server of servers) {
    const variant = variantOf(server.replicas)
    totals.set(variant, noTotals())
    slices.push([
      variant,
      (ms, measured) => {
        const run = loadRun(server.port, measured ? variant : `warm-up ${variant}`, options, workload)
        return sliceOfBrisk(client, server, run, ms, measured ? totals.get(variant)! : undefined)
      },
    ])
  }
  if (options.warmupMs > 0) progress.phase(`warming up, ${options.warmupMs / 1000} s each`)
  for (const [variant, slice] of slices) {
    if (signal.aborted || options.warmupMs === 0) break
    progress.detail(variant)
    await slice(options.warmupMs, false)
  }
  progress.phase(`measuring ${options.rounds} round(s) of ${options.durationMs / options.rounds / 1000} s per variant`)
  for (let r = 0; r < options.rounds && !signal.aborted; r++) {
    for (let i = 0; i < slices.length && !signal.aborted; i++) {
      const [variant, slice] = slices[(i + r) % slices.length]!
      progress.detail(`round ${r + 1}/${options.rounds}, ${variant}`)
      await slice(options.durationMs / options.rounds, true)
    }
  }
  totals.get('floor')!.stats = statsOf(floorLatencies, floorLatencies.length * FLOOR_STATEMENTS_PER_READ, 0)
  const summary = await client.summarize()
  for (const [variant, total] of totals) if (variant !== 'floor') total.stats = summary[variant]?.at(-1)
  return totals
}

async function sliceOfFloor(floor: Floor, ms: number, signal: AbortSignal, into: { total: VariantTotals; latencies: number[] } | undefined) {
  const outcome = await floor.run(ms, signal)
  if (!into) return
  for (const latency of outcome.latencies) into.latencies.push(latency)
  add(into.total, { ...outcome, requests: outcome.reads })
}

async function sliceOfBrisk(client: LoadClient, server: BriskOverCluster, run: LoadRun, ms: number, total: VariantTotals | undefined) {
  const before = server.router?.status()
  const outcome = await client.run({ ...run, durationMs: ms })
  if (!total) return
  add(total, outcome)
  if (before && server.router) total.reads = addReads(total.reads, readsBetween(readsOf(before), readsOf(server.router.status())))
}

function add(total: VariantTotals, outcome: { requests: number; errors: number; firstError: string | undefined; elapsedMs: number }) {
  total.requests += outcome.requests
  total.errors += outcome.errors
  total.firstError ??= outcome.firstError
  total.elapsedMs += outcome.elapsedMs
}
