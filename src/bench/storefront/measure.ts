import type { LoadClient, LoadRun, LoadTarget, Summary, VariantTotals } from '../http-load.ts'
import type { Progress } from '../progress.ts'
import { type Options, PAGE_KINDS, type Variant } from './options.ts'

export interface Endpoint {
  variant: Variant
  port: number
  targets: LoadTarget[]
  sequence: number[]
}


export interface Measured {
  totals: Map<Variant, VariantTotals>
  /** by variant: product pages, category pages, then both */
  summary: Summary
}

const processCpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/**
 * Every variant warmed (each page once, then a while under load), then the variants take turns in
 * short slices, so a busy neighbour on the machine weighs on all of them alike.
 */
export async function measure(
  client: LoadClient,
  endpoints: Endpoint[],
  options: Options,
  watch: { progress: Progress; signal: AbortSignal; cookie: string },
): Promise<Measured> {
  const { progress, signal } = watch
  const runOf = (e: Endpoint, label: string): LoadRun => ({
    label,
    host: '127.0.0.1',
    port: e.port,
    connections: options.clients,
    headerLines: `cookie: ${watch.cookie}\r\n`,
    targets: e.targets,
    kinds: [...PAGE_KINDS],
    sequence: e.sequence,
  })
  progress.phase('warming up')
  for (const e of endpoints) {
    if (signal.aborted) break
    progress.detail(e.variant)
    const identity = e.targets.map((_, i) => i)
    await client.run({ ...runOf(e, `prime ${e.variant}`), sequence: identity, requests: identity.length })
    if (options.warmupMs > 0) await client.run({ ...runOf(e, `warm-up ${e.variant}`), durationMs: options.warmupMs })
  }
  const totals = new Map<Variant, VariantTotals>(
    endpoints.map((e) => [e.variant, { requests: 0, errors: 0, firstError: undefined, elapsedMs: 0, clientCpuMs: 0, serverCpuMs: 0 }]),
  )
  const sliceMs = options.durationMs / options.rounds
  progress.phase(`measuring ${options.rounds} round(s)`)
  for (let r = 0; r < options.rounds && !signal.aborted; r++) {
    for (let i = 0; i < endpoints.length && !signal.aborted; i++) {
      const e = endpoints[(i + r) % endpoints.length]!
      progress.detail(`round ${r + 1}/${options.rounds}, ${e.variant}`)
      const cpuBefore = processCpuMs()
      const outcome = await client.run({ ...runOf(e, e.variant), durationMs: sliceMs })
      const total = totals.get(e.variant)!
      total.serverCpuMs += processCpuMs() - cpuBefore
      total.requests += outcome.requests
      total.errors += outcome.errors
      total.firstError ??= outcome.firstError
      total.elapsedMs += outcome.elapsedMs
      total.clientCpuMs += outcome.cpuMs
    }
  }
  return { totals, summary: await client.summarize() }
}
