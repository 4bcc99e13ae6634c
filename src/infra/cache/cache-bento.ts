/**
 * bentocache as the cache uses it: our memory tier as its L1, Redis as its L2 and bus, every
 * Redis operation skipped at once while Redis is down (a failure marks it down), and its logs
 * turned into debug lines (it logs every failed Redis operation as an error; the cache warns once
 * per outage instead).
 */
import { EventEmitter } from 'node:events'
import { BentoCache, type BentoStore, bentostore } from 'bentocache'
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis'
import type { MemoryTier } from './memory-tier.ts'
import { type CacheLog, RedisDownError, type RedisTier } from './redis-tier.ts'

export type Bento = BentoCache<Record<string, BentoStore>>

export interface BentoOptions {
  prefix: string
  memory: MemoryTier
  redis: RedisTier | undefined
  log: CacheLog
  /** a message of the bus from another process (bentocache drops its keys from memory itself) */
  onBusMessage(message: { keys: string[]; type: string }): void
  /** once closed, operations go through while Redis is down: disconnecting must not wait for it */
  closed(): boolean
}

export function createBento(options: BentoOptions): Bento {
  const { prefix, memory, redis, log } = options
  const store = bentostore().useL1Layer(memory.asDriver())
  if (redis) {
    store
      .useL2Layer(redisDriver({ connection: redis.connection }))
      .useBus(redisBusDriver({ connection: redis.busBase, retryQueue: { enabled: true, maxSize: 10_000 } }))
  }
  const emitter = new EventEmitter()
  emitter.on('bus:message:received', (data: { message: { keys: string[]; type: string } }) => options.onBusMessage(data.message))
  return new BentoCache({
    default: prefix,
    stores: { [prefix]: store },
    prefix,
    emitter,
    logger: bentoLogger(log),
    internalOperationWrapper: <T>(operation: () => T): T => {
      if (redis?.down && !options.closed()) return Promise.reject(new RedisDownError()) as T
      const result = operation()
      if (redis && result instanceof Promise) result.catch((error: Error) => redis.failed(error))
      return result
    },
  })
}

function bentoLogger(log: CacheLog) {
  const debug = (obj: unknown, msg?: unknown) => {
    if (typeof obj === 'object' && obj !== null) log.debug(obj, `bentocache: ${String(msg ?? '')}`)
    else log.debug({}, `bentocache: ${String(obj)}`)
  }
  const logger = { trace() {}, debug() {}, info() {}, warn: debug, error: debug, fatal: debug, child: () => logger }
  return logger
}
