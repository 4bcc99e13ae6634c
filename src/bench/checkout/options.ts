import type { Config } from '../../config/config.ts'
import { AppError } from '../../infra/errors.ts'
import { integerOption, numberOption } from '../scenario.ts'

export interface Options {
  lines: number
  clients: number
  workers: number
  durationMs: number
  warmupMs: number
  rounds: number
  products: number
  payment: 'test' | 'manual'
  /** send an Idempotency-Key with every placement, as a shop's front end should */
  key: boolean
  json: boolean
}

export function parseOptions(raw: Record<string, string | boolean | undefined>): Options {
  const payment = String(raw['payment'] ?? 'test')
  if (payment !== 'test' && payment !== 'manual') throw new Error('--payment must be test or manual')
  return {
    lines: integerOption(raw['lines'] ?? '3', 'lines', 1, 500),
    clients: integerOption(raw['clients'] ?? '8', 'clients', 1, 64),
    workers: integerOption(raw['workers'] ?? '1', 'workers', 1, 16),
    durationMs: numberOption(raw['duration'] ?? '10', 'duration', 0.1, 3600) * 1000,
    warmupMs: numberOption(raw['warmup'] ?? '1', 'warmup', 0, 600) * 1000,
    rounds: integerOption(raw['rounds'] ?? '5', 'rounds', 1, 1000),
    products: integerOption(raw['products'] ?? '2000', 'products', 1, 1_000_000),
    payment,
    key: raw['key'] !== false,
    json: raw['json'] === true,
  }
}

const isPostgresUrl = (value: string) => /^postgres(ql)?:\/\//i.test(value)

/**
 * The scenarios that start `brisk serve` need PostgreSQL: an embedded database belongs to one
 * process, and the bench and the server are two. Refused before anything starts.
 */
export function requirePostgres(config: Config, database: string | undefined, scenario: string): void {
  if (database !== undefined ? isPostgresUrl(database) : config.databaseUrl !== undefined) return
  throw new AppError(
    'invalid',
    'BENCH_POSTGRES_REQUIRED',
    `${scenario} runs on PostgreSQL: it starts \`brisk serve\` in a process of its own, and an embedded database (PGlite) ` +
      'belongs to one process. Set BRISK_DATABASE_URL (the bench makes a scratch database beside it) or pass --database <postgres url>.',
  )
}
