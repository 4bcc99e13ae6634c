/**
 * The fault run: Brisk over two replicas under load; replica 1 is killed (SIGKILL to its postmaster
 * and every backend, as a crash) a third of the way in and started again at two thirds. The load
 * goes on until the restarted replica has served a read again (or REJOIN_WAIT_MS more have passed),
 * so even a short run shows it rejoin.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ClusterReplica } from '../../infra/pg-cluster/pg-cluster.ts'
import type { LatencyStats, LoadClient, RunOutcome } from '../http-load.ts'
import type { BriskOverCluster } from './cluster.ts'
import { loadRun, type NodeReads, readsBetween, readsOf, type Watch, type Workload } from './measure.ts'
import type { Options } from './options.ts'

const REJOIN_WAIT_MS = 15_000
const POLL_MS = 5

export interface KillMeasured {
  outcome: RunOutcome
  stats: LatencyStats | undefined
  /** the router's name of the killed replica */
  node: string
  /** ms since the load started */
  killAtMs: number
  /** how long the harness's kill() took: it lists processes with a synchronous `ps`, in this process, which serves Brisk too */
  killTookMs: number
  restartAtMs: number
  /** from start() until the node accepted connections again */
  restartTookMs: number
  /** from then until the router had it serve a read; null: not within REJOIN_WAIT_MS */
  servedAgainAfterMs: number | null
  /** reads that failed on a replica and ran again on another node */
  failovers: number
  /** times a read, a connection attempt or a lag check found the killed replica unreachable */
  nodeFailures: number
  /** the longest the bench's event loop (Brisk's) stood still during the run */
  maxEventLoopStallMs: number
  reads: { beforeKill: NodeReads; whileDown: NodeReads; afterRestart: NodeReads }
}

export async function measureKill(
  client: LoadClient,
  server: BriskOverCluster,
  replica: ClusterReplica,
  options: Options,
  workload: Workload,
  watch: Watch,
): Promise<KillMeasured | undefined> {
  const router = server.router
  if (router === undefined) throw new Error('the kill run needs Brisk over replicas')
  const node = router.status().nodes[0]!.name
  const third = options.durationMs / 3
  watch.progress.phase(`${node} killed at ${(third / 1000).toFixed(1)} s and restarted at ${((2 * third) / 1000).toFixed(1)} s, under load`)
  const atStart = router.status()
  const stalls = monitorEventLoopDelay({ resolution: 10 })
  stalls.enable()
  const started = performance.now()
  const running = client.run({ ...loadRun(server.port, 'kill', options, workload), durationMs: options.durationMs + REJOIN_WAIT_MS })
  // settled at once: a run that fails midway must not be an unhandled rejection while the kill and restart are awaited
  const finished = running.then((outcome) => ({ outcome }), (error: unknown) => ({ error }))
  const since = () => performance.now() - started
  try {
    await sleepUntil(started + third, watch.signal)
    if (watch.signal.aborted) return undefined
    const killAtMs = since()
    await replica.kill()
    const killTookMs = since() - killAtMs
    // answers the replica sent before it died may still wait in the sockets: they count as before the kill
    await new Promise(setImmediate)
    const atKill = readsOf(router.status())
    await sleepUntil(started + 2 * third, watch.signal)
    if (watch.signal.aborted) return undefined
    const atRestart = readsOf(router.status())
    const restartAtMs = since()
    await replica.start()
    const restartTookMs = since() - restartAtMs
    const servedAgainAfterMs = await timeUntil(() => (readsOf(router.status())[node] ?? 0) > atRestart[node]!, REJOIN_WAIT_MS, watch.signal)
    await sleepUntil(started + options.durationMs, watch.signal)
    client.stop()
    const result = await finished
    if ('error' in result) throw result.error
    const atEnd = router.status()
    const reads = {
      beforeKill: readsBetween(readsOf(atStart), atKill),
      whileDown: readsBetween(atKill, atRestart),
      afterRestart: readsBetween(atRestart, readsOf(atEnd)),
    }
    const stats = (await client.summarize())['kill']?.at(-1)
    const failovers = atEnd.failovers - atStart.failovers
    const nodeFailures = atEnd.nodes[0]!.failures - atStart.nodes[0]!.failures
    const common = { node, killAtMs, killTookMs, restartAtMs, restartTookMs, servedAgainAfterMs, failovers, nodeFailures, reads }
    return { outcome: result.outcome, stats, ...common, maxEventLoopStallMs: stalls.max / 1e6 }
  } finally {
    stalls.disable()
    client.stop()
    await finished
  }
}

async function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && performance.now() < at) await sleep(Math.min(50, at - performance.now()))
}

/** ms until `done()` holds, polled; null when it did not within `timeoutMs` (or the run was stopped). */
async function timeUntil(done: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<number | null> {
  const start = performance.now()
  while (!done()) {
    if (signal.aborted || performance.now() - start > timeoutMs) return null
    await sleep(POLL_MS)
  }
  return performance.now() - start
}
