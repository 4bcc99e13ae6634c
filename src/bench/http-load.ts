import { type ChildProcess, fork } from 'node:child_process'
import { percentile } from './scenario.ts'
import { nodeArgsFor, siblingModule } from './children.ts'

/** A request the load client sends: `kind` names the row its figures are counted in. */
export interface LoadTarget {
  path: string
  kind: number
}

/** One measuring run of the load client, against one server. */
export interface LoadRun {
  /** runs with the same label are summed (the rounds of one variant) */
  label: string
  host: string
  port: number
  connections: number
  /** extra request header lines, each ending in \r\n (authorization) */
  headerLines: string
  targets: LoadTarget[]
  /** names of the kinds, by index */
  kinds: string[]
  /** indexes into `targets`, sent in this order, over and over */
  sequence: number[]
  durationMs?: number
  /** stop after this many requests (a warm-up pass over every target) */
  requests?: number
}

export interface RunOutcome {
  requests: number
  errors: number
  firstError: string | undefined
  elapsedMs: number
  /** the load client's own CPU time during the run */
  cpuMs: number
}

export interface LatencyStats {
  requests: number
  p50Ms: number
  p99Ms: number
  statementsPerRequest: number
  dbMsPerRequest: number
}

/** By label: the figures of each kind, then of all kinds together (last). */
export type Summary = Record<string, LatencyStats[]>

export type ClientMessage =
  | { type: 'run'; id: number; run: LoadRun }
  | { type: 'summarize'; id: number }
  | { type: 'stop' }

type ClientAnswer = { id: number; outcome?: RunOutcome; summary?: Summary; error?: string }

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits

export function statsOf(latencies: readonly number[], statements: number, dbMs: number): LatencyStats {
  const sorted = Float64Array.from(latencies).sort()
  const n = sorted.length
  return {
    requests: n,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    statementsPerRequest: n === 0 ? 0 : round(statements / n, 2),
    dbMsPerRequest: n === 0 ? 0 : round(dbMs / n),
  }
}

/** The load client process: `run` measures, `summarize` returns every label's figures; `close` ends it. */
export interface LoadClient {
  run(run: LoadRun): Promise<RunOutcome>
  summarize(): Promise<Summary>
  /** ends the current run early (Ctrl+C) */
  stop(): void
  close(): Promise<void>
}

export async function startLoadClient(): Promise<LoadClient> {
  const module = siblingModule(import.meta.url, 'http-load.client')
  const child = fork(module, [], { execArgv: nodeArgsFor(module), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve)
    child.once('error', reject)
  })
  const pending = new Map<number, { resolve: (answer: ClientAnswer) => void; reject: (error: Error) => void }>()
  let nextId = 0
  child.on('message', (answer: ClientAnswer) => {
    const waiting = pending.get(answer.id)
    pending.delete(answer.id)
    if (answer.error !== undefined) waiting?.reject(new Error(`load client: ${answer.error}`))
    else waiting?.resolve(answer)
  })
  child.on('exit', (code, signal) => {
    for (const waiting of pending.values()) waiting.reject(new Error(`the load client exited (${signal ?? code})`))
    pending.clear()
  })
  const ask = (message: { type: 'run'; run: LoadRun } | { type: 'summarize' }) =>
    new Promise<ClientAnswer>((resolve, reject) => {
      const id = nextId++
      pending.set(id, { resolve, reject })
      child.send({ ...message, id })
    })
  return {
    run: async (run) => (await ask({ type: 'run', run })).outcome!,
    summarize: async () => (await ask({ type: 'summarize' })).summary!,
    stop: () => {
      if (child.connected) child.send({ type: 'stop' })
    },
    close: () => closeChild(child),
  }
}

async function closeChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.disconnect()
  await exited
}

/** What one variant of an HTTP bench added up to over its rounds. */
export interface VariantTotals {
  requests: number
  errors: number
  firstError: string | undefined
  elapsedMs: number
  clientCpuMs: number
  /** CPU of the process(es) serving the variant while it ran */
  serverCpuMs: number
}

/** Each variant's throughput as a share (%) of the floor's and of Brisk's bare hooks', when those ran. */
export function setSharesOfFloorAndHooks<R extends { requestsPerSecond: number; percentOfFloor: number | null; percentOfHooks: number | null }>(
  results: { floor?: R | undefined; hooks?: R | undefined } & Record<string, R | undefined>,
): void {
  const percent = (of: R | undefined, r: R) => (of && of.requestsPerSecond > 0 ? round((r.requestsPerSecond / of.requestsPerSecond) * 100, 1) : null)
  for (const r of Object.values(results)) {
    if (!r) continue
    r.percentOfFloor = percent(results.floor, r)
    r.percentOfHooks = percent(results.hooks, r)
  }
}
