/**
 * The one reader of process.env and .env. Every variable is declared once here, with a description;
 * `.env.example` and `docs/configuration.md` are generated from this list (see `brisk config`).
 */
import fs from 'node:fs'
import { parseEnv } from 'node:util'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Config {
  readonly databaseUrl: string | undefined
  readonly replicaUrls: readonly string[]
  readonly connectTimeoutMs: number
  readonly replicaQueryTimeoutMs: number
  readonly replicaMaxLagMs: number
  readonly replicaCheckIntervalMs: number
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
  readonly cartTtlHours: number
  readonly corsOrigins: readonly string[]
  readonly shutdownTimeoutMs: number
  readonly cache: boolean
  readonly cacheMemoryMb: number
  readonly redisTimeoutMs: number
  readonly cachePrefix: string
  readonly pageCache: boolean
}

/** Variables by name: the environment, or the values of a .env file. */
export type EnvValues = Readonly<Record<string, string | undefined>>

export type ConfigSource = 'environment' | '.env' | 'default'

interface Variable<K extends keyof Config> {
  readonly name: string
  readonly key: K
  readonly description: string
  readonly example: string
  /** What an unset variable means, for the generated docs. */
  readonly default: string
  /** A URL whose password `brisk config show` masks. */
  readonly secret?: boolean
  /** `earlier` holds the variables declared before this one, for defaults that depend on them. */
  readonly parse: (raw: string | undefined, earlier: Partial<Config>) => Config[K]
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
      throw new ConfigError(`${name} is not a valid URL: "${maskUrlPasswords(raw)}"`)
    }
    if (!protocols.includes(url.protocol)) {
      throw new ConfigError(`${name} must start with ${protocols.join(' or ')}, got "${url.protocol}"`)
    }
    return raw
  }
}

function boolean(name: string) {
  return (raw: string | undefined): boolean | undefined => {
    if (raw === undefined || raw === '') return undefined
    if (raw === 'true' || raw === '1') return true
    if (raw === 'false' || raw === '0') return false
    throw new ConfigError(`${name} must be true or false, got "${raw}"`)
  }
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
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
    default: 'unset (embedded database)',
    secret: true,
    parse: optionalUrl('BRISK_DATABASE_URL', ['postgres:', 'postgresql:']),
  }),
  defineVariable({
    name: 'BRISK_REPLICA_URLS',
    key: 'replicaUrls',
    description:
      'Comma-separated PostgreSQL URLs of streaming replicas of BRISK_DATABASE_URL. Reads that may lag (catalog pages, reports) go to ' +
      'healthy replicas in turn; writes, transactions and fresh reads go to the primary. See "Read replicas" in the README.',
    example: '',
    default: 'none (every read goes to the primary)',
    secret: true,
    parse: (raw, earlier) => {
      const urls = list(raw).map((u) => optionalUrl('BRISK_REPLICA_URLS', ['postgres:', 'postgresql:'])(u) as string)
      if (urls.length > 0 && earlier.databaseUrl === undefined) {
        throw new ConfigError('BRISK_REPLICA_URLS needs BRISK_DATABASE_URL: replicas follow a PostgreSQL primary, not the embedded database')
      }
      return urls
    },
  }),
  defineVariable({
    name: 'BRISK_DB_CONNECT_TIMEOUT_MS',
    key: 'connectTimeoutMs',
    description:
      'Opening a PostgreSQL connection (primary or replica): a server that has not let Brisk in by then counts as down — a replica is ' +
      'benched and the read runs elsewhere, the primary answers 503.',
    example: '3000',
    default: '3000',
    parse: integer('BRISK_DB_CONNECT_TIMEOUT_MS', 3000, 100, 60_000),
  }),
  defineVariable({
    name: 'BRISK_REPLICA_QUERY_TIMEOUT_MS',
    key: 'replicaQueryTimeoutMs',
    description:
      'A read on a replica that has not answered by then (a hung or paused server) fails there, benches the replica and runs on another node.',
    example: '5000',
    default: '5000',
    parse: integer('BRISK_REPLICA_QUERY_TIMEOUT_MS', 5000, 100, 600_000),
  }),
  defineVariable({
    name: 'BRISK_REPLICA_MAX_LAG_MS',
    key: 'replicaMaxLagMs',
    description:
      'A replica whose oldest unreplayed commit is older than this is skipped until it catches up; when every replica lags, the primary serves.',
    example: '1000',
    default: '1000',
    parse: integer('BRISK_REPLICA_MAX_LAG_MS', 1000, 10, 3_600_000),
  }),
  defineVariable({
    name: 'BRISK_REPLICA_CHECK_INTERVAL_MS',
    key: 'replicaCheckIntervalMs',
    description:
      "How often each process compares every replica's replayed WAL position with the primary's (lag, and which replica may serve a client that just wrote).",
    example: '250',
    default: '250',
    parse: integer('BRISK_REPLICA_CHECK_INTERVAL_MS', 250, 10, 60_000),
  }),
  defineVariable({
    name: 'BRISK_DATA_DIR',
    key: 'dataDir',
    description: 'Folder of the embedded database, used when BRISK_DATABASE_URL is unset.',
    example: './data',
    default: './data',
    parse: (raw) => (raw === undefined || raw === '' ? './data' : raw),
  }),
  defineVariable({
    name: 'BRISK_HOST',
    key: 'host',
    description: 'Address the HTTP server listens on.',
    example: '127.0.0.1',
    default: '127.0.0.1',
    parse: (raw) => (raw === undefined || raw === '' ? '127.0.0.1' : raw),
  }),
  defineVariable({
    name: 'BRISK_PORT',
    key: 'port',
    description: 'Port the HTTP server listens on.',
    example: '3000',
    default: '3000',
    parse: integer('BRISK_PORT', 3000, 0, 65535),
  }),
  defineVariable({
    name: 'BRISK_LOG_LEVEL',
    key: 'logLevel',
    description: `Log level: ${LOG_LEVELS.join(', ')}. At debug, CLI errors show their stack trace.`,
    example: 'info',
    default: 'info',
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
    default: '10',
    parse: integer('BRISK_DB_POOL_SIZE', 10, 1, 500),
  }),
  defineVariable({
    name: 'BRISK_STATEMENT_TIMEOUT_MS',
    key: 'statementTimeoutMs',
    description: 'PostgreSQL statement_timeout for application connections, in milliseconds (0 = none).',
    example: '15000',
    default: '15000',
    parse: integer('BRISK_STATEMENT_TIMEOUT_MS', 15000, 0, 3_600_000),
  }),
  defineVariable({
    name: 'BRISK_REDIS_URL',
    key: 'redisUrl',
    description:
      'Redis URL for the shared cache tier and invalidation bus. Unset: caches are in-process only (one process; see `brisk serve --workers`).',
    example: 'redis://127.0.0.1:6379',
    default: 'unset',
    secret: true,
    parse: optionalUrl('BRISK_REDIS_URL', ['redis:', 'rediss:']),
  }),
  defineVariable({
    name: 'BRISK_BODY_LIMIT_BYTES',
    key: 'bodyLimitBytes',
    description: 'Largest accepted HTTP request body, in bytes.',
    example: '1048576',
    default: '1048576',
    parse: integer('BRISK_BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
  }),
  defineVariable({
    name: 'BRISK_SEED_DEMO',
    key: 'seedDemo',
    description:
      'Seed the demo shop (and print an admin and a cashier token) on the first start of an empty database: true or false. ' +
      'A development convenience: on by default for the embedded database only; on PostgreSQL set it or run `brisk seed`.',
    example: 'true',
    default: 'true on the embedded database, false on PostgreSQL',
    parse: (raw, earlier) => boolean('BRISK_SEED_DEMO')(raw) ?? earlier.databaseUrl === undefined,
  }),
  defineVariable({
    name: 'BRISK_IDEMPOTENCY_KEY_TTL_HOURS',
    key: 'idempotencyKeyTtlHours',
    description:
      'Hours an Idempotency-Key is kept (a retry with the same key within that time replays the first response). `brisk serve` deletes older keys every hour; so does `brisk prune idempotency-keys`.',
    example: '24',
    default: '24',
    parse: integer('BRISK_IDEMPOTENCY_KEY_TTL_HOURS', 24, 1, 24 * 366),
  }),
  defineVariable({
    name: 'BRISK_CART_TTL_HOURS',
    key: 'cartTtlHours',
    description:
      'Hours a shopping cart lives after its last change (every change moves the expiry forward); an expired cart answers 404 like one that never existed. `brisk serve` deletes expired carts every hour; so does `brisk carts prune`.',
    example: '72',
    default: '72',
    parse: integer('BRISK_CART_TTL_HOURS', 72, 1, 24 * 366),
  }),
  defineVariable({
    name: 'BRISK_CORS_ORIGINS',
    key: 'corsOrigins',
    description:
      'Comma-separated origins (such as https://shop.example.com) whose browsers may call the API. Unset: none (CORS off).',
    example: '',
    default: 'none',
    parse: (raw) => {
      const origins = list(raw)
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
  defineVariable({
    name: 'BRISK_SHUTDOWN_TIMEOUT_MS',
    key: 'shutdownTimeoutMs',
    description:
      'On SIGTERM, SIGINT or SIGHUP `brisk serve` stops accepting connections, lets requests in flight finish and closes the ' +
      'database; if that takes longer than this many milliseconds it exits with status 1.',
    example: '10000',
    default: '10000',
    parse: integer('BRISK_SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
  }),
  defineVariable({
    name: 'BRISK_CACHE',
    key: 'cache',
    description:
      'Cache master data (products, prices, units, locations, tokens) in memory, and in Redis when BRISK_REDIS_URL is set: on or ' +
      'off. Off reads everything from the database (for comparison and debugging).',
    example: 'on',
    default: 'on',
    parse: (raw) => {
      if (raw === undefined || raw === '' || raw === 'on' || raw === 'true') return true
      if (raw === 'off' || raw === 'false') return false
      throw new ConfigError(`BRISK_CACHE must be on or off, got "${raw}"`)
    },
  }),
  defineVariable({
    name: 'BRISK_CACHE_MEMORY_MB',
    key: 'cacheMemoryMb',
    description: 'Size of the in-process cache tier in MiB, per process (entries past it are evicted, least recently used first).',
    example: '64',
    default: '64',
    parse: integer('BRISK_CACHE_MEMORY_MB', 64, 1, 65_536),
  }),
  defineVariable({
    name: 'BRISK_REDIS_TIMEOUT_MS',
    key: 'redisTimeoutMs',
    description:
      'Longest a request waits for Redis before it goes on without it (memory tier and database); Redis errors and timeouts are ' +
      'logged once per outage and counted in /metrics.',
    example: '100',
    default: '100',
    parse: integer('BRISK_REDIS_TIMEOUT_MS', 100, 5, 60_000),
  }),
  defineVariable({
    name: 'BRISK_CACHE_PREFIX',
    key: 'cachePrefix',
    description:
      'Start of every Redis key and of the invalidation channel: shops (or test runs) sharing one Redis each need their own. ' +
      'Letters, digits, "-" and "_".',
    example: 'brisk',
    default: 'brisk',
    parse: (raw) => {
      if (raw === undefined || raw === '') return 'brisk'
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) {
        throw new ConfigError(`BRISK_CACHE_PREFIX must be 1 to 64 letters, digits, "-" or "_", got "${raw}"`)
      }
      return raw
    },
  }),
  defineVariable({
    name: 'BRISK_PAGE_CACHE',
    key: 'pageCache',
    description:
      'Cache the storefront\'s page shells (the part of a page that is the same for every visitor) in the cache tiers, evicted ' +
      'by the products and categories they show: on or off. Off renders every page on every request; BRISK_CACHE=off turns ' +
      'it off too.',
    example: 'on',
    default: 'on',
    parse: (raw) => {
      if (raw === undefined || raw === '' || raw === 'on' || raw === 'true') return true
      if (raw === 'off' || raw === 'false') return false
      throw new ConfigError(`BRISK_PAGE_CACHE must be on or off, got "${raw}"`)
    },
  }),
] as const

/** Where a variable's value comes from: the environment wins over .env (even when set to ''), .env over the default. */
function sourceOf(name: string, env: EnvValues, envFile: EnvValues): ConfigSource {
  if (env[name] !== undefined) return 'environment'
  if (envFile[name] !== undefined) return '.env'
  return 'default'
}

function rawValue(name: string, env: EnvValues, envFile: EnvValues): string | undefined {
  return env[name] ?? envFile[name]
}

/**
 * Builds a frozen Config. `envFile` holds the values of a .env file (see readEnvFile), which the
 * environment overrides; only the CLI entry reads the real .env, so tests never see it.
 * `overrides` lets tests and the CLI set values without touching either.
 */
export function loadConfig(
  env: EnvValues = process.env,
  overrides: Partial<Config> = {},
  envFile: EnvValues = {},
): Config {
  const values: Partial<Record<keyof Config, unknown>> = {}
  for (const variable of CONFIG_VARIABLES) {
    values[variable.key] = variable.parse(rawValue(variable.name, env, envFile), values as Partial<Config>)
  }
  return Object.freeze({ ...(values as unknown as Config), ...overrides })
}

/** The variables of a .env file; none when it does not exist. */
export function readEnvFile(file: string): Record<string, string> {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new ConfigError(`Cannot read ${file}: ${(error as Error).message}`)
  }
  return parseEnv(text) as Record<string, string>
}

/** Hides the passwords of every URL in a value (several for comma-separated lists), also `?password=`. */
export function maskUrlPasswords(value: string): string {
  return value
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s,]*):[^@/?#\s,]*@/gi, '$1:***@')
    .replace(/([?&]password=)[^&#\s,]*/gi, '$1***')
}

export interface ConfigEntry {
  name: string
  /** The effective value as text, passwords masked; '' when unset. For a refused value, the value as given. */
  value: string
  source: ConfigSource
  /** Why the value is refused. */
  problem?: string
}

function display(value: unknown): string {
  if (value === undefined) return ''
  if (Array.isArray(value)) return value.join(',')
  return String(value)
}

/** The effective configuration, each value with its source, for `brisk config show`; a refused value does not hide the rest. */
export function describeConfig(env: EnvValues, envFile: EnvValues): ConfigEntry[] {
  const values: Partial<Record<keyof Config, unknown>> = {}
  return CONFIG_VARIABLES.map((variable) => {
    const raw = rawValue(variable.name, env, envFile)
    const source = sourceOf(variable.name, env, envFile)
    const mask = (text: string) => (variable.secret ? maskUrlPasswords(text) : text)
    try {
      values[variable.key] = variable.parse(raw, values as Partial<Config>)
      return { name: variable.name, value: mask(display(values[variable.key])), source }
    } catch (error) {
      return { name: variable.name, value: mask(raw ?? ''), source, problem: (error as Error).message }
    }
  })
}

/** BRISK_ names that are set but mean nothing to Brisk: probably misspelt. */
export function unknownVariables(env: EnvValues, envFile: EnvValues): { name: string; source: ConfigSource }[] {
  const known = new Set<string>(CONFIG_VARIABLES.map((v) => v.name))
  const names = new Set([...Object.keys(envFile), ...Object.keys(env)])
  return [...names]
    .filter((name) => name.startsWith('BRISK_') && !name.startsWith('BRISK_TEST_') && !known.has(name))
    .sort()
    .map((name) => ({ name, source: sourceOf(name, env, envFile) }))
}

export function renderEnvExample(): string {
  const lines = [
    '# Generated by `brisk config env-example` from src/config/config.ts. Do not edit by hand.',
    '# Copy to .env and uncomment what you need; variables set in the environment win over .env.',
    '',
  ]
  for (const variable of CONFIG_VARIABLES) {
    lines.push(`# ${variable.description}`, `# Default: ${variable.default}.`, `# ${variable.name}=${variable.example}`, '')
  }
  return lines.join('\n')
}

export function renderConfigDoc(): string {
  const lines = [
    '# Configuration',
    '',
    'Generated by `brisk config doc` from `src/config/config.ts`. Every setting is an environment variable; `brisk` also',
    'reads a `.env` file in the folder it runs in (see `.env.example`), and a variable set in the environment wins over',
    'the file, even when set to an empty value (which means the default). `brisk config show` prints the effective',
    'configuration, where each value comes from (environment, .env or default), with passwords masked.',
    '',
    '| variable | description | default | example |',
    '|---|---|---|---|',
  ]
  for (const variable of CONFIG_VARIABLES) {
    const example = variable.example === '' ? '' : `\`${variable.example}\``
    lines.push(`| \`${variable.name}\` | ${variable.description} | ${variable.default} | ${example} |`)
  }
  return lines.join('\n') + '\n'
}
