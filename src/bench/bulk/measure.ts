/** One variant run on the generated input: timed, its statements counted, memory sampled, tills selling meanwhile. */
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Db } from '../../infra/db/database.ts'
import { newQueryStats, runWithQueryStats } from '../../infra/db/query-stats.ts'
import { importKinds } from '../../modules/imports/index.ts'
import type { Progress } from '../progress.ts'
import { briskImport } from './brisk.ts'
import { writeInput } from './generate.ts'
import { FLOOR_ON_PGLITE, type Floor, openFloor } from './floor.ts'
import { naiveImport } from './naive.ts'
import type { Operation, Options, Variant } from './options.ts'
import { resetTarget, rowsLanded, type World } from './setup.ts'
import type { TillFigures, Tills } from './tills.ts'

export interface VariantResult {
  variant: Variant
  /** rows of the run found in the target table afterwards: the input's size, or the run failed */
  rows: number
  /** statements sent, BEGIN and COMMIT included (brisk: its batch log's two too) */
  statements: number
  ms: number
  rowsPerSecond: number
  /** the highest resident set size sampled while it ran, this process (PGlite included, when it is the database) */
  peakRssMb: number
  /** brisk: chunks, rejects, and the statements its batch log row counted */
  chunks?: number
  rejected?: number
  loggedStatements?: number
  firstReject?: string
  /** the tills selling during the run */
  tills?: TillFigures
}

export interface Bench {
  db: Db
  url: string | undefined
  world: World
  options: Options
  file: string
  tills: Tills | undefined
  progress: Progress
  signal: AbortSignal
}

/** Why a variant cannot run here, if it cannot. */
export function unavailable(bench: Bench, variant: Variant): string | undefined {
  if (variant === 'floor' && bench.url === undefined) return FLOOR_ON_PGLITE
  if (variant === 'brisk' && importKinds[bench.options.operation] === undefined) {
    return `brisk: the import engine has no "${bench.options.operation}" kind yet; left out`
  }
  return undefined
}

const SAMPLE_MS = 20
const MB = 1024 * 1024
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

function sampleRss(): () => number {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, SAMPLE_MS)
  return () => {
    clearInterval(timer)
    return Math.max(peak, process.memoryUsage().rss)
  }
}

type Body = () => Promise<{ statements?: number; extra?: Partial<VariantResult> }>

function bodyOf(bench: Bench, variant: Variant, floor: Floor | undefined): Body {
  const { db, world, options, file } = bench
  if (variant === 'naive') {
    const watch = { signal: bench.signal, done: (n: number) => bench.progress.detail(`${n}/${options.size} rows`) }
    return async () => {
      await naiveImport(db, world, options.operation, file, watch)
      return {}
    }
  }
  if (variant === 'floor') return async () => ({ statements: await floor!.run() })
  return async () => {
    const outcome = await briskImport(db, world, options.operation, file, options.chunkSize)
    const { rowsRejected: rejected, chunks, loggedStatements, firstReject } = outcome
    return { extra: { chunks, rejected, loggedStatements, ...(firstReject ? { firstReject } : {}) } }
  }
}

/** Runs `variant` from an emptied target; the tills (if any) sell from its start to its end. */
export async function measureVariant(bench: Bench, variant: Variant): Promise<VariantResult> {
  const { db, world, options } = bench
  await resetTarget(db, world, options.operation)
  const floor = variant === 'floor' ? await openFloor(bench.url!, world, options.operation, options.size) : undefined
  try {
    const stopTills = bench.tills?.start()
    const peakRss = sampleRss()
    const stats = newQueryStats()
    const start = performance.now()
    let ran: Awaited<ReturnType<Body>>
    try {
      ran = await runWithQueryStats(stats, bodyOf(bench, variant, floor))
    } catch (error) {
      await stopTills?.()
      peakRss()
      throw error
    }
    const ms = performance.now() - start
    const tills = await stopTills?.()
    const peakRssMb = round(peakRss() / MB)
    const rows = await rowsLanded(db, world, options.operation)
    const statements = ran.statements ?? stats.count
    return { variant, rows, statements, ms: round(ms, 2), rowsPerSecond: Math.round(rows / (ms / 1000)), peakRssMb, ...ran.extra, ...(tills ? { tills } : {}) }
  } finally {
    await floor?.close()
  }
}

/** Seed 003's sizes through brisk alone (no tills): 100 views or 50 scores; the statements they cost. */
export const SEED_003: Partial<Record<Operation, { rows: number; seedStatements: number; maxStatements: number }>> = {
  views: { rows: 100, seedStatements: 7, maxStatements: 3 },
  scores: { rows: 50, seedStatements: 7, maxStatements: 3 },
}

export interface SeedCheck {
  rows: number
  statements: number
  seedStatements: number
  maxStatements: number
  met: boolean
}

export async function seedCheck(bench: Bench): Promise<SeedCheck | undefined> {
  const { db, world, options } = bench
  const seed = SEED_003[options.operation]
  if (!seed || unavailable(bench, 'brisk') !== undefined) return undefined
  const file = path.join(path.dirname(bench.file), 'seed-003.ndjson')
  await writeInput(file, world, options.operation, seed.rows)
  await resetTarget(db, world, options.operation)
  const stats = newQueryStats()
  // seed 003's sizes as an import would run them: in chunks of the kind's default size, whatever --chunk says
  await runWithQueryStats(stats, () => briskImport(db, world, options.operation, file, undefined))
  const rows = await rowsLanded(db, world, options.operation)
  await resetTarget(db, world, options.operation)
  if (rows !== seed.rows) throw new Error(`seed 003's case: ${rows} of ${seed.rows} ${options.operation} landed`)
  return { rows, statements: stats.count, seedStatements: seed.seedStatements, maxStatements: seed.maxStatements, met: stats.count <= seed.maxStatements }
}
