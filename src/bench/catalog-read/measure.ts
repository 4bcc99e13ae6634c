import type { LoadClient, LoadRun, LoadTarget, Summary, VariantTotals } from '../http-load.ts'
import type { Progress } from '../progress.ts'
import type { Options, Variant } from './options.ts'

/** What the load client sends to one variant, and the server that answers it. */
export interface Endpoint {
  variant: Variant
  port: number
  /** CPU time (ms) of the process(es) serving it so far */
  cpuMs(): number
  targets: LoadTarget[]
  kinds: string[]
  sequence: number[]
}


export interface Watch {
  progress: Progress
  signal: AbortSignal
  log: (line: string) => void
  /** the bearer token every request carries, unless --anonymous */
  token: string
}

export interface Measured {
  totals: Map<Variant, VariantTotals>
  /** latencies and statements by variant: each kind's, then all kinds' */
  summary: Summary
}

/**
 * Every variant is warmed up first — each target requested once (a warm cache), then a while under
 * load (a warm JIT) — then the variants take turns in short slices, so a busy neighbour on the
 * machine weighs on all of them alike.
 */
export async function measure(client: LoadClient, endpoints: Endpoint[], options: Options, watch: Watch): Promise<Measured> {
  const { progress, signal } = watch
  const headerLines = options.anonymous ? '' : `authorization: Bearer ${watch.token}\r\n`
  const runOf = (e: Endpoint, label: string): LoadRun => ({
    label,
    host: '127.0.0.1',
    port: e.port,
    connections: options.clients,
    headerLines,
    targets: e.targets,
    kinds: e.kinds,
    sequence: e.sequence,
  })
  const sliceMs = options.durationMs / options.rounds
  watch.log(
    `${endpoints.map((e) => e.variant).join(', ')}: every target once and ${options.warmupMs / 1000} s of warm-up each, ` +
      `then ${options.rounds} round(s) of ${sliceMs / 1000} s each, ${options.clients} connection(s)…`,
  )
  progress.phase('warming up')
  for (const e of endpoints) {
    if (signal.aborted) break
    progress.detail(e.variant)
    const identity = e.targets.map((_, i) => i)
    await client.run({ ...runOf(e, `prime ${e.variant}`), sequence: identity, requests: identity.length })
    if (options.warmupMs > 0) await client.run({ ...runOf(e, `warm-up ${e.variant}`), durationMs: options.warmupMs })
  }
  const totals = new Map<Variant, VariantTotals>(
    endpoints.map((e) => [
      e.variant,
      { requests: 0, errors: 0, firstError: undefined, elapsedMs: 0, clientCpuMs: 0, serverCpuMs: 0 },
    ]),
  )
  progress.phase(`measuring ${options.rounds} round(s)`)
  for (let r = 0; r < options.rounds && !signal.aborted; r++) {
    for (let i = 0; i < endpoints.length && !signal.aborted; i++) {
      const e = endpoints[(i + r) % endpoints.length]!
      progress.detail(`round ${r + 1}/${options.rounds}, ${e.variant}`)
      const cpuBefore = e.cpuMs()
      const outcome = await client.run({ ...runOf(e, e.variant), durationMs: sliceMs })
      const total = totals.get(e.variant)!
      total.serverCpuMs += e.cpuMs() - cpuBefore
      total.requests += outcome.requests
      total.errors += outcome.errors
      total.firstError ??= outcome.firstError
      total.elapsedMs += outcome.elapsedMs
      total.clientCpuMs += outcome.cpuMs
    }
  }
  return { totals, summary: await client.summarize() }
}
