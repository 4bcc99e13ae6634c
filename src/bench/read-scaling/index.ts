/**
 * `brisk bench read-scaling`: product reads by id over HTTP with the cache off, so every one reaches
 * the database, from Brisk over a PostgreSQL primary of the bench's own with 0, 1 and 2 streaming
 * replicas (src/infra/pg-cluster), then a run over 2 replicas in which replica 1 is SIGKILLed a third
 * of the way in and started again at two thirds: failed requests (the target is 0), p50/p99 and
 * reads per node, before, while down and after, and how soon the restarted replica serves again.
 *
 * Two references: the 0-replica row for the replica rows (their throughput in % of it), and a floor
 * — the same two statements sent straight to the primary with pg, no HTTP — which tells whether the
 * database is what limits the reads at all. On a 2-core machine every node, Brisk and the load
 * client share the cores, so replicas cannot add throughput there; the table says so, and the point
 * of the run is the kill row. Reads per node are the read router's counts (app.db.replicas.status()),
 * which also say why the primary served a read; pg_stat_database would add the router's own lag
 * checks and lose a killed node's counts in its crash recovery.
 */
import os from 'node:os'
import type { Config } from '../../config/config.ts'
import type { PgCluster } from '../../infra/pg-cluster/pg-cluster.ts'
import { type LoadClient, startLoadClient } from '../http-load.ts'
import { createProgress, type Progress } from '../progress.ts'
import { listenForInterrupt } from '../session.ts'
import { type BenchScenario, ROUND_OPTIONS } from '../scenario.ts'
import { type BriskOverCluster, clusterBindir, REPLICA_ENV, startBrisk, startSeededCluster } from './cluster.ts'
import { openFloor } from './floor.ts'
import { measureKill } from './kill.ts'
import { measureVariants, readWorkload, type Watch } from './measure.ts'
import { type Options, parseOptions, REPLICA_COUNTS } from './options.ts'
import { printJson, printTable, type Setting, summarize } from './report.ts'

export type { KillResult, VariantResult } from './report.ts'

type Report = () => void
type Closers = (() => Promise<unknown>)[]

async function run(_config: Config, raw: Record<string, string | boolean | undefined>): Promise<void> {
  const options = parseOptions(raw)
  // before anything starts: without the server programs there is nothing to run
  const serverPrograms = clusterBindir()
  const progress = createProgress('read-scaling')
  const controller = new AbortController()
  const stopListening = listenForInterrupt(controller, progress, () => undefined)
  let report: Report | undefined
  try {
    report = await benchmark(options, serverPrograms, { progress, signal: controller.signal })
  } catch (error) {
    // the servers and the client see Ctrl+C too: what fails after it is the interruption, not a finding
    if (!controller.signal.aborted) throw error
  } finally {
    progress.stop()
    stopListening()
  }
  if (controller.signal.aborted) {
    console.error('read-scaling: interrupted, no figures; the cluster is removed')
    process.exitCode = 130
  } else {
    report?.()
  }
}

async function benchmark(options: Options, serverPrograms: string, watch: Watch): Promise<Report | undefined> {
  const { cluster, products } = await startSeededCluster(options.products, watch.progress)
  const closers: Closers = [() => cluster.remove()]
  let client: LoadClient | undefined
  const stop = () => client?.stop()
  watch.signal.addEventListener('abort', stop)
  try {
    const workload = readWorkload(products.map((p) => p.id))
    const servers = await startServers(cluster, options, closers, watch.progress)
    const floor = await openFloor(cluster.primary.url, options.clients, products.map((p) => p.id), workload.sequence)
    closers.push(() => floor.close())
    client = await startLoadClient()
    const started = client
    closers.push(() => started.close())
    const totals = await measureVariants(client, floor, servers, options, workload, watch)
    if (watch.signal.aborted) return undefined
    const killed = await measureKill(client, servers.at(-1)!, cluster.replicas[0]!, options, workload, watch)
    if (watch.signal.aborted) return undefined
    const { results, kill } = summarize(totals, killed)
    const setting: Setting = {
      options,
      settings: { ...REPLICA_ENV, BRISK_CACHE: 'off', BRISK_DB_POOL_SIZE: String(Math.max(4, options.clients)) },
      serverPrograms,
      machine: { cores: os.availableParallelism(), loadAverage: Math.round(os.loadavg()[0]! * 10) / 10 },
      notes: [],
    }
    return () => (options.json ? printJson(results, kill, setting) : printTable(results, kill, setting))
  } finally {
    watch.signal.removeEventListener('abort', stop)
    watch.progress.phase('stopping Brisk and removing the cluster')
    await closeAll(closers.reverse())
  }
}

/** Brisk over the primary alone, over replica 1, over both: each an app of its own in this process. */
async function startServers(cluster: PgCluster, options: Options, closers: Closers, progress: Progress): Promise<BriskOverCluster[]> {
  progress.phase(`starting Brisk over ${REPLICA_COUNTS.join(', ')} replicas`)
  const started = await Promise.allSettled(REPLICA_COUNTS.map((replicas) => startBrisk(cluster, replicas, options.clients)))
  const servers: BriskOverCluster[] = []
  for (const outcome of started) {
    if (outcome.status === 'fulfilled') {
      closers.push(() => outcome.value.close())
      servers.push(outcome.value)
    }
  }
  const failed = started.find((outcome) => outcome.status === 'rejected')
  if (failed) throw failed.reason
  return servers
}

/** Every closer runs, even after one failed; the first failure is thrown at the end. */
async function closeAll(closers: Closers): Promise<void> {
  let failure: unknown
  for (const close of closers) {
    try {
      await close()
    } catch (error) {
      failure ??= error
    }
  }
  if (failure !== undefined) throw failure
}

export const readScalingScenario: BenchScenario = {
  name: 'read-scaling',
  description:
    'Product reads over HTTP with the cache off from Brisk over a PostgreSQL primary with 0, 1 and 2 streaming replicas of ' +
    "the bench's own, then with replica 1 killed and restarted under load (target: 0 failed requests), against a floor: the " +
    'same statements sent straight to the primary with pg. The kill run lasts --duration as well, longer if the restarted ' +
    'replica takes longer to serve again. Needs the PostgreSQL server programs (pg_config --bindir).',
  options: [
    { flags: '--clients <n>', description: 'concurrent keep-alive connections (and floor connections), up to 16', defaultValue: '8' },
    ...ROUND_OPTIONS,
    { flags: '--products <n>', description: 'products in the catalog, read by id in a random order', defaultValue: '1000' },
  ],
  run,
}
