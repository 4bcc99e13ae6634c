/**
 * The one reader of process.env. Every variable is declared once here, with a description;
 * `.env.example` and `docs/configuration.md` are generated from this list (see `brisk config`).
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Config {
  readonly databaseUrl: string | undefined
  readonly replicaUrls: readonly string[]
  readonly dataDir: string
  readonly host: string
  readonly port: number
  readonly logLevel: LogLevel
  readonly poolSize: number
  readonly statementTimeoutMs: number
  readonly redisUrl: string | undefined
  readonly bodyLimitBytes: number
  readonly seedDemo: boolean
  readonly idempotencyKeyTtlHours: number
  readonly corsOrigins: readonly string[]
}

interface Variable<K extends keyof Config> {
  readonly name: string
  readonly key: K
  readonly description: string
  readonly example: string
  readonly parse: (raw: string | undefined) => Config[K]
}

export class ConfigError extends Error {}

function integer(name: string, fallback: number, min: number, max: number) {
  return (raw: string | undefined): number => {
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`)
    }
    return value
  }
}

function optionalUrl(name: string, protocols: string[]) {
  return (raw: string | undefined): string | undefined => {
    if (raw === undefined || raw === '') return undefined
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new ConfigError(`${name} is not a valid URL: "${raw}"`)
    }
    if (!protocols.includes(url.protocol)) {
      throw new ConfigError(`${name} must start with ${protocols.join(' or ')}, got "${url.protocol}"`)
    }
    return raw
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function defineVariable<K extends keyof Config>(variable: Variable<K>): Variable<K> {
  return variable
}

export const CONFIG_VARIABLES = [
  defineVariable({
    name: 'BRISK_DATABASE_URL',
    key: 'databaseUrl',
    description: 'PostgreSQL connection URL of the primary. Unset: the embedded database (PGlite) in BRISK_DATA_DIR.',
    example: 'postgres://brisk@127.0.0.1:5432/brisk',
    parse: optionalUrl('BRISK_DATABASE_URL', ['postgres:', 'postgresql:']),
  }),
  defineVariable({
    name: 'BRISK_REPLICA_URLS',
    key: 'replicaUrls',
    description:
      'Comma-separated PostgreSQL URLs of read replicas. Not built yet: setting it is refused at start; every read goes to the primary.',
    example: '',
    parse: (raw) => {
      const urls = (raw ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
      return urls.map((u) => optionalUrl('BRISK_REPLICA_URLS', ['postgres:', 'postgresql:'])(u) as string)
    },
  }),
  defineVariable({
    name: 'BRISK_DATA_DIR',
    key: 'dataDir',
    description: 'Folder of the embedded database, used when BRISK_DATABASE_URL is unset.',
    example: './data',
    parse: (raw) => (raw === undefined || raw === '' ? './data' : raw),
  }),
  defineVariable({
    name: 'BRISK_HOST',
    key: 'host',
    description: 'Address the HTTP server listens on.',
    example: '127.0.0.1',
    parse: (raw) => (raw === undefined || raw === '' ? '127.0.0.1' : raw),
  }),
  defineVariable({
    name: 'BRISK_PORT',
    key: 'port',
    description: 'Port the HTTP server listens on.',
    example: '3000',
    parse: integer('BRISK_PORT', 3000, 0, 65535),
  }),
  defineVariable({
    name: 'BRISK_LOG_LEVEL',
    key: 'logLevel',
    description: `Log level: ${LOG_LEVELS.join(', ')}.`,
    example: 'info',
    parse: (raw) => {
      if (raw === undefined || raw === '') return 'info'
      if (!LOG_LEVELS.includes(raw as LogLevel)) {
        throw new ConfigError(`BRISK_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`)
      }
      return raw as LogLevel
    },
  }),
  defineVariable({
    name: 'BRISK_DB_POOL_SIZE',
    key: 'poolSize',
    description: 'Connections per PostgreSQL pool (primary and each replica).',
    example: '10',
    parse: integer('BRISK_DB_POOL_SIZE', 10, 1, 500),
  }),
  defineVariable({
    name: 'BRISK_STATEMENT_TIMEOUT_MS',
    key: 'statementTimeoutMs',
    description: 'PostgreSQL statement_timeout for application connections, in milliseconds (0 = none).',
    example: '15000',
    parse: integer('BRISK_STATEMENT_TIMEOUT_MS', 15000, 0, 3_600_000),
  }),
  defineVariable({
    name: 'BRISK_REDIS_URL',
    key: 'redisUrl',
    description:
      'Redis URL for the shared cache tier and invalidation bus. Not built yet: setting it is refused at start; caches are in-process.',
    example: 'redis://127.0.0.1:6379',
    parse: optionalUrl('BRISK_REDIS_URL', ['redis:', 'rediss:']),
  }),
  defineVariable({
    name: 'BRISK_BODY_LIMIT_BYTES',
    key: 'bodyLimitBytes',
    description: 'Largest accepted HTTP request body, in bytes.',
    example: '1048576',
    parse: integer('BRISK_BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
  }),
  defineVariable({
    name: 'BRISK_SEED_DEMO',
    key: 'seedDemo',
    description: 'Seed the demo shop on first start of an empty database: true or false.',
    example: 'true',
    parse: (raw) => {
      if (raw === undefined || raw === '' || raw === 'true' || raw === '1') return true
      if (raw === 'false' || raw === '0') return false
      throw new ConfigError(`BRISK_SEED_DEMO must be true or false, got "${raw}"`)
    },
  }),
  defineVariable({
    name: 'BRISK_IDEMPOTENCY_KEY_TTL_HOURS',
    key: 'idempotencyKeyTtlHours',
    description:
      'Hours an Idempotency-Key is kept (a retry with the same key within that time replays the first response). `brisk serve` deletes older keys every hour; so does `brisk prune idempotency-keys`.',
    example: '24',
    parse: integer('BRISK_IDEMPOTENCY_KEY_TTL_HOURS', 24, 1, 24 * 366),
  }),
  defineVariable({
    name: 'BRISK_CORS_ORIGINS',
    key: 'corsOrigins',
    description:
      'Comma-separated origins (such as https://shop.example.com) whose browsers may call the API. Unset: none (CORS off).',
    example: '',
    parse: (raw) => {
      const origins = (raw ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
      for (const origin of origins) {
        let url: URL | undefined
        try {
          url = new URL(origin)
        } catch {}
        if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin) {
          throw new ConfigError(`BRISK_CORS_ORIGINS: "${origin}" is not an origin such as https://shop.example.com`)
        }
      }
      return origins
    },
  }),
] as const

/**
 * Settings that parse but whose feature is not built yet. Starting with one set would silently run
 * without it (no replicas, no shared cache), so it is refused instead; each feature's work removes
 * its entry.
 */
const NOT_BUILT_YET: readonly { key: keyof Config; name: string; feature: string }[] = [
  { key: 'redisUrl', name: 'BRISK_REDIS_URL', feature: 'the Redis cache tier' },
  { key: 'replicaUrls', name: 'BRISK_REPLICA_URLS', feature: 'read replica routing' },
]

/** Throws a ConfigError naming every setting whose feature is not built yet. */
export function refuseUnbuiltSettings(config: Config): void {
  const set = NOT_BUILT_YET.filter(({ key }) => {
    const value = config[key]
    return Array.isArray(value) ? value.length > 0 : value !== undefined
  })
  if (set.length === 0) return
  throw new ConfigError(
    set
      .map((s) => `${s.name} is set, but ${s.feature} is not built yet; unset ${s.name} to start Brisk without it.`)
      .join('\n'),
  )
}

/** Builds a frozen Config; `overrides` lets tests and the CLI set values without touching process.env. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const values: Record<string, unknown> = {}
  for (const variable of CONFIG_VARIABLES) {
    values[variable.key] = variable.parse(env[variable.name])
  }
  return Object.freeze({ ...(values as unknown as Config), ...overrides })
}

export function renderEnvExample(): string {
  const lines = ['# Generated by `brisk config env-example` from src/config/config.ts. Do not edit by hand.', '']
  for (const variable of CONFIG_VARIABLES) {
    lines.push(`# ${variable.description}`, `# ${variable.name}=${variable.example}`, '')
  }
  return lines.join('\n')
}

export function renderConfigDoc(): string {
  const lines = [
    '# Configuration',
    '',
    'Generated by `brisk config doc` from `src/config/config.ts`. Every setting is an environment variable.',
    '',
    '| variable | description | example |',
    '|---|---|---|',
  ]
  for (const variable of CONFIG_VARIABLES) {
    lines.push(`| \`${variable.name}\` | ${variable.description} | \`${variable.example}\` |`)
  }
  return lines.join('\n') + '\n'
}
