/**
 * `brisk serve --workers N`. This process, the pid a process manager started, serves no HTTP: it
 * migrates and seeds once, starts N workers (serve-worker.ts) that share one port through
 * node:cluster (it accepts the connections and hands them round), prints the ready banner once all
 * of them listen, starts a worker again when one dies, and on a signal drains them all.
 *
 * A worker that dies takes its requests in flight with it, and node:cluster may have handed it a
 * new connection in the instant it died: that one is lost too (the client sees no answer). From
 * the moment its exit is seen, connections go to the others only.
 */
import cluster from 'node:cluster'
import os from 'node:os'
import type { Config, LogLevel } from '../config/config.ts'
import type { SeedReport } from '../demo/seed-demo.ts'
import type { Db } from '../infra/db/database.ts'
import { type ClusterWorker, createClusterMetrics, type MetricsMessage } from '../infra/http/cluster-metrics.ts'
import { type Announcer, announce, SIGNALS } from './serve.ts'
import type { ToPrimary, ToWorker } from './serve-worker.ts'

/** The nth death of one worker within CRASH_WINDOW_MS waits the nth delay before it starts again; one more gives up. */
export const RESTART_DELAYS_MS = [100, 250, 500, 1000, 2000]
export const CRASH_WINDOW_MS = 60_000
/** Past BRISK_SHUTDOWN_TIMEOUT_MS a worker exits by itself; this is for one that hangs even so. */
export const KILL_GRACE_MS = 1000

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const

export interface PrimaryLog {
  debug(fields: object, message: string): void
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
}

/** Log lines in pino's JSON shape, like the workers' lines: the primary builds no Fastify, so it has no pino. */
export function primaryLog(level: LogLevel, write = (line: string) => process.stdout.write(line)): PrimaryLog {
  const min = level === 'silent' ? Number.POSITIVE_INFINITY : LEVELS[level]
  const hostname = os.hostname()
  const at = (n: number) => (fields: object, msg: string) => {
    if (n >= min) write(`${JSON.stringify({ level: n, time: Date.now(), pid: process.pid, hostname, ...fields, msg })}\n`)
  }
  return { debug: at(LEVELS.debug), info: at(LEVELS.info), warn: at(LEVELS.warn), error: at(LEVELS.error) }
}

/** What the supervisor uses of a cluster worker: cluster.fork()'s Worker, or a fake in tests. */
export interface SupervisedWorker extends ClusterWorker {
  readonly process: { readonly pid?: number | undefined; kill(signal: NodeJS.Signals): boolean }
  send(message: ToWorker | MetricsMessage, callback?: (error: Error | null) => void): boolean
  on(event: 'message', listener: (message: ToPrimary) => void): unknown
  on(event: 'exit', listener: (code: number | null, signal: string | null) => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
}

export interface SupervisorOptions {
  workers: number
  shutdownTimeoutMs: number
  log: PrimaryLog
  /** Once, when every worker listens: the URL they serve. */
  onAllReady(url: string): void
  fork?: () => SupervisedWorker
  exit?: (code: number) => void
}

interface Slot {
  /** 1 to N, for people and the metrics' worker label; the worker in slot 1 runs the background jobs. */
  readonly number: number
  worker?: SupervisedWorker
  ready: boolean
  /** When this slot's workers died, within the crash window. */
  deaths: number[]
  restart?: NodeJS.Timeout
}

function send(worker: SupervisedWorker, message: ToWorker): void {
  // With a callback a closed channel is an error passed here, not an 'error' event.
  if (worker.isConnected()) worker.send(message, () => {})
}

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`
}

type ExitFields = { worker: number; workerPid: number | undefined; code: number | null; signal: string | null }

export class Supervisor {
  readonly #slots: Slot[]
  readonly #metrics = createClusterMetrics(() => this.#serving())
  readonly #options: SupervisorOptions
  readonly #fork: () => SupervisedWorker
  readonly #exit: (code: number) => void
  #stopping: string | undefined
  #started = false
  #announced = false
  #failed = false

  constructor(options: SupervisorOptions) {
    this.#options = options
    this.#fork = options.fork ?? (() => cluster.fork())
    this.#exit = options.exit ?? ((code) => process.exit(code))
    this.#slots = Array.from({ length: options.workers }, (_, i) => ({ number: i + 1, ready: false, deaths: [] }))
  }

  get stopping(): boolean {
    return this.#stopping !== undefined
  }

  start(): void {
    this.#started = true
    for (const slot of this.#slots) this.#startWorker(slot)
  }

  #serving() {
    return this.#slots.flatMap((s) => (s.worker && s.ready && s.worker.isConnected() ? [{ label: String(s.number), worker: s.worker }] : []))
  }

  #startWorker(slot: Slot): void {
    const worker = this.#fork()
    slot.worker = worker
    slot.ready = false
    worker.on('message', (message) => this.#onMessage(slot, worker, message))
    worker.on('exit', (code, signal) => this.#onExit(slot, worker, code, signal))
    worker.on('error', (error) => this.#options.log.warn({ worker: slot.number, error: error.message }, 'worker channel error'))
  }

  #onMessage(slot: Slot, worker: SupervisedWorker, message: ToPrimary): void {
    if (this.#metrics.handle(worker, message) || message.type !== 'brisk:ready' || slot.worker !== worker) return
    slot.ready = true
    // one that was still starting when the stop came was sent SIGTERM, and stops by itself
    if (this.#stopping) return
    if (slot.number === 1) send(worker, { type: 'brisk:start-background-jobs' })
    if (this.#announced) {
      this.#options.log.info({ worker: slot.number, workerPid: worker.process.pid }, `worker ${slot.number} is serving again`)
    } else if (this.#slots.every((s) => s.ready)) {
      this.#announced = true
      this.#options.onAllReady(message.url)
    }
  }

  #onExit(slot: Slot, worker: SupervisedWorker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return
    const wasServing = slot.ready
    slot.worker = undefined
    slot.ready = false
    const fields = { worker: slot.number, workerPid: worker.process.pid, code, signal }
    if (this.#stopping) {
      // One that had not started serving was stopped with SIGTERM: how it ended is no failure.
      if (wasServing && code !== 0) this.#failed = true
      this.#exitWhenAllGone()
    } else if (!this.#announced) {
      this.#options.log.error(fields, `worker ${slot.number} ${describeExit(code, signal)} before it was ready; stopping Brisk`)
      this.#failed = true
      this.stop('start-up failed')
    } else {
      this.#restart(slot, fields)
    }
  }

  #restart(slot: Slot, fields: ExitFields): void {
    const now = Date.now()
    slot.deaths = [...slot.deaths.filter((at) => now - at < CRASH_WINDOW_MS), now]
    const how = describeExit(fields.code, fields.signal)
    const delay = RESTART_DELAYS_MS[slot.deaths.length - 1]
    const { log } = this.#options
    if (delay === undefined) {
      const window = `${CRASH_WINDOW_MS / 1000} s`
      log.error(fields, `worker ${slot.number} died ${slot.deaths.length} times within ${window} (last ${how}): giving up, stopping Brisk`)
      this.#failed = true
      this.stop('crash loop')
      return
    }
    log.warn({ ...fields, restartInMs: delay }, `worker ${slot.number} (pid ${fields.workerPid}) ${how}; starting it again`)
    this.#metrics.countRestart()
    slot.restart = setTimeout(() => {
      slot.restart = undefined
      if (!this.#stopping) this.#startWorker(slot)
    }, delay)
  }

  /**
   * Tells every serving worker to drain (a message, not a signal: after Ctrl+C, which reaches every
   * worker too, a second signal would skip the drain); one still starting, whose message handler
   * may not be listening yet, gets SIGTERM. Exits once all are gone (1 if one failed), or kills
   * them after the timeout.
   */
  stop(reason: string): void {
    if (this.#stopping) return
    this.#stopping = reason
    for (const slot of this.#slots) clearTimeout(slot.restart)
    const running = this.#slots.filter((s) => s.worker)
    this.#options.log.info({ signal: reason, workers: running.length }, 'shutting down: draining every worker')
    for (const slot of running) {
      if (slot.ready) send(slot.worker!, { type: 'brisk:stop', signal: reason })
      else slot.worker!.process.kill('SIGTERM')
    }
    setTimeout(() => {
      this.#options.log.error({}, `workers still running ${KILL_GRACE_MS} ms after BRISK_SHUTDOWN_TIMEOUT_MS; killing them`)
      this.exitNow()
    }, this.#options.shutdownTimeoutMs + KILL_GRACE_MS).unref()
    this.#exitWhenAllGone()
  }

  /** Kills every worker and exits 1. */
  exitNow(): void {
    for (const slot of this.#slots) slot.worker?.process.kill('SIGKILL')
    this.#exit(1)
  }

  #exitWhenAllGone(): void {
    if (!this.#started || this.#slots.some((s) => s.worker)) return
    this.#exit(this.#failed ? 1 : 0)
  }
}

/** Migrations and seeding, once, before any worker starts: the workers never race a migration. */
async function prepareDatabase(config: Config, log: PrimaryLog): Promise<{ db: Announcer['db']; seed?: SeedReport }> {
  const [{ connectPostgres }, { migrate }] = await Promise.all([import('../infra/db/connect.ts'), import('../infra/db/migrations.ts')])
  const db: Db = connectPostgres({ url: config.databaseUrl!, poolSize: 2, statementTimeoutMs: config.statementTimeoutMs })
  try {
    await migrate(db.primary)
    if (!config.seedDemo) return { db }
    const [{ createServices, openCache }, { seedDemoShop }] = await Promise.all([import('../app.ts'), import('../demo/seed-demo.ts')])
    // Through the configured tiers, as `brisk seed` does: what the seed writes is evicted from Redis.
    const cache = await openCache(config, log)
    try {
      return { db, seed: await seedDemoShop(db, createServices(db, config, cache), { onlyIfEmpty: true }) }
    } finally {
      await cache.close()
    }
  } finally {
    await db.close()
  }
}

export async function servePrimary(config: Config, workers: number): Promise<void> {
  const log = primaryLog(config.logLevel)
  let prepared: Awaited<ReturnType<typeof prepareDatabase>> | undefined
  const supervisor = new Supervisor({
    workers,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    log,
    onAllReady: (url) => {
      if (prepared) announce({ db: prepared.db, http: { log } }, url, prepared.seed, process.stdout.isTTY === true, workers)
    },
  })
  let signals = 0
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      signals += 1
      if (signals === 1) return supervisor.stop(signal)
      log.error({ signal }, `${signal} again: exiting without waiting for requests in flight`)
      supervisor.exitNow()
    })
  }
  prepared = await prepareDatabase(config, log)
  // A signal during migrations or seeding: nothing started, nothing to drain.
  if (supervisor.stopping) process.exit(0)
  supervisor.start()
}
