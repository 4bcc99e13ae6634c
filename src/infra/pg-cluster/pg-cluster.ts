/**
 * A PostgreSQL primary with streaming replicas of a test's own (and `npm run cluster`'s): initdb
 * once in a temporary folder, `pg_basebackup -R` with a replication slot per replica, free loopback
 * ports, trust authentication, database `brisk` on all of them. Each node can be stopped, killed
 * (SIGKILL), paused (SIGSTOP) and started again; replicas can be promoted or made to lag.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { cleanUpOnExit } from './cleanup-on-exit.ts'
import {
  asServerUser,
  findPostgresBinaries,
  freeLoopbackPort,
  initDataFolder,
  continueServerNow,
  killServer,
  killServerNow,
  makeServerFolder,
  postmasterPid,
  runServerProgram,
  type StopMode,
  signalServer,
  testServerSettings,
  waitUntilGone,
} from './pg-server-process.ts'

export const CLUSTER_PROGRAMS = ['initdb', 'pg_ctl', 'postgres', 'pg_basebackup']

export interface ClusterNode {
  /** `primary`, `replica1`, `replica2`…: its cluster_name, which a replica streams under. */
  readonly name: string
  /** postgres://postgres@127.0.0.1:<port>/brisk */
  readonly url: string
  readonly port: number
  /** The postmaster's process id while the node runs (not after stop or kill). */
  readonly pid: number | undefined
  /** Starts it again after stop or kill; returns once it accepts connections. */
  start(): Promise<void>
  /** pg_ctl stop (`fast` unless told); returns once it has stopped. */
  stop(mode?: StopMode): Promise<void>
  /** SIGKILL to the postmaster and every process under it, as a crash; returns once they are gone. */
  kill(): Promise<void>
  /** SIGSTOP to all its processes: connections stay open and nothing answers. */
  pause(): Promise<void>
  /** SIGCONT after pause. */
  resume(): Promise<void>
}

export interface ClusterReplica extends ClusterNode {
  /** pg_ctl promote: it leaves recovery and takes writes; the other replicas still follow the old primary. */
  promote(): Promise<void>
}

export interface PgCluster {
  /** The temporary folder holding every node's data folder and log. */
  readonly folder: string
  readonly primary: ClusterNode
  readonly replicas: ClusterReplica[]
  /** recovery_min_apply_delay on one replica (0 for none); returns once the replica uses it. */
  setApplyDelay(replicaIndex: number, ms: number): Promise<void>
  /** Returns once every running, unpromoted replica has replayed all the primary has written so far. */
  waitForReplay(timeoutMs?: number): Promise<void>
  /** Returns once every running, unpromoted replica streams from the primary (pg_stat_replication). */
  waitUntilStreaming(timeoutMs?: number): Promise<void>
  /** Kills every node and deletes the folder; safe to call twice. Also done on process exit and signals. */
  remove(): Promise<void>
}

export interface PgClusterOptions {
  /** Number of streaming replicas; 2 unless told. */
  replicas?: number
  /** Where the server programs are; `pg_config --bindir` unless told. */
  bindir?: string
}

type Node = ClusterReplica & { readonly promoted: boolean; readonly data: string }

/** One short-lived connection per query: a node may have been stopped or restarted since the last one. */
export async function queryNode<Row>(url: string, text: string, values?: unknown[], connectTimeoutMs = 3000): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, query_timeout: 5000 })
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.query(text, values)).rows as Row[]
  } finally {
    await client.end().catch(() => {})
  }
}

/** Polls `check` until it answers true; a check that throws counts as not yet. */
async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      if (await check()) return
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${reason}`)
    }
    await sleep(25)
  }
}

function makeNode(bindir: string, folder: string, name: string, port: number): Node {
  const data = path.join(folder, name)
  const log = path.join(folder, `${name}.log`)
  // A replica retries a lost primary every 100 ms instead of every 5 s: it streams again soon after the primary is back.
  const settings = [...testServerSettings(port), `cluster_name=${name}`, 'wal_retrieve_retry_interval=100ms']
  const options = settings.map((setting) => `-c ${setting}`).join(' ')
  const pgCtl = (args: string[]) => runServerProgram(bindir, 'pg_ctl', args)
  let pid: number | undefined
  let promoted = false
  return {
    name,
    data,
    port,
    url: `postgres://postgres@127.0.0.1:${port}/brisk`,
    get pid() {
      return pid
    },
    get promoted() {
      return promoted
    },
    async start() {
      if (pid !== undefined) throw new Error(`${name} runs already`)
      try {
        await pgCtl(['start', '-D', data, '-w', '-t', '30', '-l', log, '-o', options])
      } catch (error) {
        const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-2000) : ''
        throw new Error(`${(error as Error).message}\n${name}.log:\n${tail}`)
      }
      pid = postmasterPid(data)
    },
    async stop(mode = 'fast') {
      if (pid === undefined) return
      // A paused server acts on no signal until it runs again.
      await signalServer(pid, 'SIGCONT')
      await pgCtl(['stop', '-D', data, '-m', mode, '-w', '-t', '30'])
      pid = undefined
    },
    async kill() {
      if (pid === undefined) return
      const killed = await killServer(pid)
      pid = undefined
      await waitUntilGone(killed)
      // Where nothing reaps orphans (some containers), the dead postmaster lingers as a zombie under its
      // pid, and the next start would take the lock file for a live server's.
      fs.rmSync(path.join(data, 'postmaster.pid'), { force: true })
    },
    async pause() {
      if (pid !== undefined) await signalServer(pid, 'SIGSTOP')
    },
    async resume() {
      if (pid !== undefined) await signalServer(pid, 'SIGCONT')
    },
    async promote() {
      await pgCtl(['promote', '-D', data, '-w', '-t', '30'])
      promoted = true
    },
  }
}

/** Distinct free loopback ports: none of them listens yet, so the system could hand out one twice. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = []
  while (ports.length < count) {
    const port = await freeLoopbackPort()
    if (!ports.includes(port)) ports.push(port)
  }
  return ports
}

export async function startPgCluster(options: PgClusterOptions = {}): Promise<PgCluster> {
  const bindir = options.bindir ?? requiredBindir()
  const folder = makeServerFolder('brisk-pg-cluster-')
  const nodes: Node[] = []
  let removed = false
  // Also when the process ends before its cleanup runs (an uncaught error, Ctrl-C): no server left behind.
  const removeNow = () => {
    if (removed) return
    removed = true
    for (const node of nodes) stopNow(bindir, node)
    fs.rmSync(folder, { recursive: true, force: true })
  }
  const forget = cleanUpOnExit(removeNow)
  try {
    const [primaryPort, ...replicaPorts] = await freePorts(1 + (options.replicas ?? 2))
    const primary = makeNode(bindir, folder, 'primary', primaryPort!)
    nodes.push(primary)
    await initDataFolder(bindir, primary.data)
    await primary.start()
    await queryNode(adminUrl(primary), 'create database brisk')
    const replicas = replicaPorts.map((port, i) => makeNode(bindir, folder, `replica${i + 1}`, port))
    nodes.push(...replicas)
    await Promise.all(replicas.map((replica) => cloneAndStart(bindir, primary, replica)))
    const cluster = clusterOf(folder, primary, replicas, async () => {
      forget()
      if (removed) return
      try {
        await Promise.all(nodes.map((node) => node.stop('immediate').catch(() => node.kill())))
      } finally {
        removeNow()
      }
    })
    await cluster.waitUntilStreaming()
    return cluster
  } catch (error) {
    forget()
    removeNow()
    throw error
  }
}

/**
 * Synchronously, for the exit hook: an immediate stop (which also frees its shared memory), else
 * SIGKILL. The lock file tells of a server still starting, whose pid the node does not know yet.
 */
function stopNow(bindir: string, node: Node): void {
  const pid = node.pid ?? postmasterPid(node.data)
  if (pid === undefined) return
  continueServerNow(pid)
  try {
    execFileSync(...asServerUser(bindir, 'pg_ctl', ['stop', '-D', node.data, '-m', 'immediate', '-w', '-t', '10']), { stdio: 'ignore' })
  } catch {
    killServerNow(pid)
  }
}

function requiredBindir(): string {
  const found = findPostgresBinaries(CLUSTER_PROGRAMS)
  if ('missing' in found) throw new Error(`cannot start a PostgreSQL cluster: ${found.missing}`)
  return found.bindir
}

function adminUrl(node: ClusterNode): string {
  return `postgres://postgres@127.0.0.1:${node.port}/postgres`
}

/** A base backup of the primary that starts as its streaming replica, through a slot of its own. */
async function cloneAndStart(bindir: string, primary: Node, replica: Node): Promise<void> {
  // Created beforehand and reserving WAL at once: a checkpoint of a sibling's backup cannot recycle WAL this one still needs.
  await queryNode(adminUrl(primary), 'select pg_create_physical_replication_slot($1, true)', [replica.name])
  const source = ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '--slot', replica.name]
  await runServerProgram(bindir, 'pg_basebackup', ['-D', replica.data, ...source, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'])
  await replica.start()
}

function clusterOf(folder: string, primary: Node, replicas: Node[], remove: () => Promise<void>): PgCluster {
  const following = () => replicas.filter((replica) => replica.pid !== undefined && !replica.promoted)
  return {
    folder,
    primary,
    replicas,
    remove,
    async setApplyDelay(replicaIndex, ms) {
      const replica = replicas[replicaIndex]
      if (!replica) throw new Error(`there is no replica ${replicaIndex}`)
      if (!Number.isInteger(ms) || ms < 0) throw new Error(`an apply delay is a whole number of ms, not ${ms}`)
      await queryNode(replica.url, `alter system set recovery_min_apply_delay = '${ms}ms'`)
      await queryNode(replica.url, 'select pg_reload_conf()')
      await until(`${replica.name} uses recovery_min_apply_delay = ${ms} ms`, 5000, async () => {
        const [row] = await queryNode<{ setting: string }>(
          replica.url,
          `select setting from pg_settings where name = 'recovery_min_apply_delay'`,
        )
        return row?.setting === String(ms)
      })
    },
    async waitForReplay(timeoutMs = 15_000) {
      const [{ lsn }] = (await queryNode<{ lsn: string }>(primary.url, 'select pg_current_wal_lsn()::text as lsn')) as [{ lsn: string }]
      for (const replica of following()) {
        await until(`${replica.name} has replayed up to ${lsn}`, timeoutMs, async () => {
          const [row] = await queryNode<{ done: boolean }>(replica.url, 'select pg_last_wal_replay_lsn() >= $1::pg_lsn as done', [lsn])
          return row?.done === true
        })
      }
    },
    async waitUntilStreaming(timeoutMs = 15_000) {
      const names = following().map((replica) => replica.name)
      await until(`${names.join(', ')} stream from the primary`, timeoutMs, async () => {
        const rows = await queryNode<{ application_name: string }>(
          primary.url,
          `select application_name from pg_stat_replication where state = 'streaming'`,
        )
        return names.every((name) => rows.some((row) => row.application_name === name))
      })
    },
  }
}
