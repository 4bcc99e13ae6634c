/**
 * Read-your-writes across processes: the primary's WAL position after each session's last write,
 * known to every Brisk process sharing a Redis. A write here is recorded at once and published on a
 * Redis channel; every process keeps what it hears in memory, so asking costs a request nothing.
 *
 * An entry lives `ttlMs`: past that, every replica still serving has replayed it (a replica further
 * behind than the lag limit is skipped). While the channel is disconnected, and for `ttlMs` after
 * (what was published meanwhile is lost), every session that asks is sent to the primary.
 */
import { Redis } from 'ioredis'
import { PRIMARY_ONLY } from './read-floor.ts'

const SWEEP_AT_SIZE = 10_000

export interface WrittenPositionsOptions {
  ttlMs: number
  /** Redis for the processes' channel; without it the positions are this process's only */
  redisUrl?: string | undefined
  channel?: string
}

export class WrittenPositions {
  readonly #local = new Map<string, { lsn: bigint; until: number }>()
  readonly #ttlMs: number
  readonly #channel: string
  readonly #publisher: Redis | undefined
  readonly #subscriber: Redis | undefined
  /** no session may trust a replica before this (the channel was down) */
  #unsureUntil = 0
  #connected = false

  constructor(options: WrittenPositionsOptions) {
    this.#ttlMs = options.ttlMs
    this.#channel = options.channel ?? 'brisk:written-lsn'
    if (!options.redisUrl) return
    const settings = { lazyConnect: false, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 250 }
    this.#publisher = new Redis(options.redisUrl, settings)
    this.#subscriber = new Redis(options.redisUrl, { ...settings, enableOfflineQueue: true, maxRetriesPerRequest: null })
    this.#publisher.on('error', () => {})
    this.#subscriber.on('error', () => {})
    this.#subscriber.on('close', () => {
      this.#connected = false
    })
    // subscribed again after a reconnect (ioredis resubscribes before 'ready')
    this.#subscriber.on('ready', () => {
      this.#connected = true
      this.#unsureUntil = Date.now() + this.#ttlMs
    })
    this.#subscriber.on('message', (_channel: string, message: string) => this.#heard(message))
    this.#subscriber.subscribe(this.#channel).catch(() => {})
  }

  /** Resolves once subscribed (or after `timeoutMs`): a process that has not heard yet is unsure, and reads from the primary. */
  async ready(timeoutMs: number): Promise<void> {
    const subscriber = this.#subscriber
    if (subscriber === undefined || this.#connected) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      subscriber.once('ready', () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** `session` wrote; the primary was at `lsn` after its commit. */
  record(session: string, lsn: bigint): void {
    this.#remember(session, lsn, Date.now())
    this.#publisher?.publish(this.#channel, `${lsn.toString(16)} ${session}`).catch(() => {})
  }

  /** The WAL position a replica must have replayed to serve `session`; undefined: any replica. */
  floorOf(session: string): bigint | undefined {
    const now = Date.now()
    if (this.#subscriber !== undefined && (!this.#connected || now < this.#unsureUntil)) return PRIMARY_ONLY
    const entry = this.#local.get(session)
    if (entry === undefined) return undefined
    if (entry.until > now) return entry.lsn
    this.#local.delete(session)
    return undefined
  }

  #heard(message: string): void {
    const space = message.indexOf(' ')
    if (space < 0) return
    const lsn = BigInt(`0x${message.slice(0, space)}`)
    this.#remember(message.slice(space + 1), lsn, Date.now())
  }

  #remember(session: string, lsn: bigint, now: number): void {
    const known = this.#local.get(session)
    if (known === undefined || known.lsn <= lsn || known.until <= now) this.#local.set(session, { lsn, until: now + this.#ttlMs })
    if (this.#local.size > SWEEP_AT_SIZE) {
      for (const [key, entry] of this.#local) if (entry.until <= now) this.#local.delete(key)
    }
  }

  close(): void {
    this.#publisher?.disconnect()
    this.#subscriber?.disconnect()
  }
}
