import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { runBrisk, STACK_LINE, tempDir } from './cli.test-support.ts'

let cwd: string
before(() => {
  cwd = tempDir('brisk-cli-')
})
after(() => {
  fs.rmSync(cwd, { recursive: true, force: true })
})

/** Reports every module the process resolves, on stderr: what `--help` loads. */
const RESOLVE_HOOK =
  'export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write("LOADED " + r.url + "\\n"); return r }'
const LOAD_LOGGER = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(RESOLVE_HOOK)}))`,
)}`
const HEAVY = /node_modules\/(@electric-sql|fastify|kysely|pg|libpg-query)\/|\/(app|bench\/index)\.(ts|js)$/

const UNREACHABLE_DATABASE = 'postgres://brisk@127.0.0.1:1/nowhere'

test('brisk --help lists every command group and loads neither the database, the HTTP server nor the benchmarks', async () => {
  const run = await runBrisk(['--help'], { cwd, nodeArgs: ['--import', LOAD_LOGGER] })
  assert.equal(run.code, 0)
  for (const group of ['serve', 'migrate', 'seed', 'token', 'report', 'cache', 'prune', 'bench', 'config']) {
    assert.match(run.stdout, new RegExp(`^  ${group} `, 'm'))
  }
  const loaded = run.stderr.split('\n').filter((line) => line.startsWith('LOADED '))
  assert.ok(loaded.some((line) => /\/(src\/main\.ts|dist\/main\.js)$/.test(line)), 'the hook saw the CLI load')
  assert.deepEqual(
    loaded.filter((line) => HEAVY.test(line)),
    [],
  )
})

test('brisk --version prints the package version', async () => {
  const { version } = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8'))
  const run = await runBrisk(['--version'], { cwd })
  assert.equal(run.code, 0)
  assert.equal(run.stdout.trim(), version)
})

test('every command has help with its options', async () => {
  const cases: [string[], RegExp][] = [
    [['serve', '--help'], /SIGTERM[\s\S]*--no-seed/],
    [['migrate', 'status', '--help'], /--json/],
    [['token', 'create', '--help'], /--role <role>[\s\S]*choices: "admin",\s+"manager",\s+"cashier"/],
    [['token', 'list', '--help'], /--json/],
    [['report', 'sales', '--help'], /--date <date>[\s\S]*--location <code>[\s\S]*--time-zone <zone>[\s\S]*--json/],
    [['config', 'show', '--help'], /environment, \.env or default/],
    [['bench', 'invoice-submit', '--help'], /--lines <n>/],
    [['cache', 'stats', '--help'], /maxmemory[\s\S]*--json/],
    [['cache', 'clear', '--help'], /choices: "product"/],
  ]
  const runs = await Promise.all(cases.map(([args]) => runBrisk(args, { cwd })))
  runs.forEach((run, i) => {
    const [args, expected] = cases[i]!
    assert.equal(run.code, 0, args.join(' '))
    assert.match(run.stdout, new RegExp(`^Usage: brisk ${args.slice(0, -1).join(' ')}`), args.join(' '))
    assert.match(run.stdout, expected, args.join(' '))
  })
})

test('bad arguments are refused in one line, without a stack, before any database work', async () => {
  // The database cannot be reached: an error about it would mean the arguments were not checked first.
  const env = { BRISK_DATABASE_URL: UNREACHABLE_DATABASE }
  const cases: [string[], RegExp][] = [
    [['token', 'revoke', 'abc'], /'abc' is invalid .*a whole number/],
    [['token', 'create', '--role', 'owner'], /'owner' is invalid.*Allowed choices are admin, manager, cashier/],
    [['token', 'create', '--role', 'cashier', '--location', 'MAIN STREET'], /a location code such as MAIN/],
    [['report', 'sales', '--date', '2026-02-30'], /a date such as 2026-01-31/],
    [['report', 'sales', '--date', '2026-02-28', '--time-zone', 'Mars/Olympus'], /an IANA time zone/],
    [['prune', 'idempotency-keys', '--older-than-hours', '0'], /a number of hours/],
    [['bench', 'invoice-submit', '--lines', 'abc'], /--lines must be a whole number/],
    [['cache', 'clear', 'products'], /'products' is invalid.*Allowed choices are product, /],
  ]
  const runs = await Promise.all(cases.map(([args]) => runBrisk(args, { cwd, env })))
  runs.forEach((run, i) => {
    const [args, expected] = cases[i]!
    const what = args.join(' ')
    assert.equal(run.code, 1, what)
    assert.match(run.stderr, expected, what)
    assert.doesNotMatch(run.stderr, STACK_LINE, what)
    assert.doesNotMatch(run.stderr, /reach the database|ECONNREFUSED/, what)
    assert.ok(run.stderr.trim().split('\n').length <= 2, `${what}: ${run.stderr}`)
  })
})

test('runtime errors are one line without a stack; --verbose and BRISK_LOG_LEVEL=debug show it', async () => {
  const [plain, verbose, debug, badConfig, empty] = await Promise.all([
    runBrisk(['token', 'list'], { cwd, env: { BRISK_DATABASE_URL: UNREACHABLE_DATABASE } }),
    runBrisk(['token', 'list', '--verbose'], { cwd, env: { BRISK_DATABASE_URL: UNREACHABLE_DATABASE } }),
    runBrisk(['token', 'list'], { cwd, env: { BRISK_DATABASE_URL: UNREACHABLE_DATABASE, BRISK_LOG_LEVEL: 'debug' } }),
    runBrisk(['token', 'list'], { cwd, env: { BRISK_PORT: 'eighty' } }),
    // a reading command leaves a database as it finds it, and says what is missing
    runBrisk(['token', 'list'], { cwd, env: { BRISK_DATA_DIR: path.join(cwd, 'empty') } }),
  ])
  assert.equal(plain.code, 1)
  assert.match(plain.stderr, /^Cannot reach the database: .*ECONNREFUSED.*\(--verbose shows the stack trace\)\n$/)
  assert.doesNotMatch(plain.stderr, STACK_LINE)
  for (const run of [verbose, debug]) {
    assert.equal(run.code, 1)
    assert.match(run.stderr, STACK_LINE)
  }
  assert.equal(empty.code, 1)
  assert.equal(empty.stderr, 'The database has no Brisk tables yet (relation "api_token" does not exist): run `brisk migrate` first.\n')
  assert.equal(badConfig.code, 1)
  assert.equal(badConfig.stderr.trim(), 'Configuration error: BRISK_PORT must be a whole number from 0 to 65535, got "eighty"')
})

test('.env in the current folder is read, the environment wins over it, and config show masks passwords', async () => {
  fs.writeFileSync(
    path.join(cwd, '.env'),
    'BRISK_PORT=4100\nBRISK_HOST=0.0.0.0\nBRISK_DATABASE_URL=postgres://brisk:s3cret@db.example:5432/brisk\nBRISK_PROT=1\n',
  )
  try {
    const [fromFile, overridden, table] = await Promise.all([
      runBrisk(['config', 'show', '--json'], { cwd }),
      runBrisk(['config', 'show', '--json'], { cwd, env: { BRISK_PORT: '4200' } }),
      runBrisk(['config', 'show'], { cwd }),
    ])
    assert.equal(fromFile.code, 0, fromFile.stderr)
    const settings = (run: typeof fromFile) =>
      new Map((JSON.parse(run.stdout).settings as { name: string; value: string; source: string }[]).map((s) => [s.name, s]))
    const file = settings(fromFile)
    assert.deepEqual(file.get('BRISK_PORT'), { name: 'BRISK_PORT', value: '4100', source: '.env' })
    assert.equal(file.get('BRISK_DATABASE_URL')?.value, 'postgres://brisk:***@db.example:5432/brisk')
    assert.deepEqual(file.get('BRISK_SEED_DEMO'), { name: 'BRISK_SEED_DEMO', value: 'false', source: 'default' })
    assert.deepEqual(JSON.parse(fromFile.stdout).unknown, [{ name: 'BRISK_PROT', source: '.env' }])
    const env = settings(overridden)
    assert.deepEqual(env.get('BRISK_PORT'), { name: 'BRISK_PORT', value: '4200', source: 'environment' })
    assert.equal(env.get('BRISK_HOST')?.value, '0.0.0.0')
    assert.match(table.stdout, /^BRISK_PORT\s+4100\s+\.env$/m)
    assert.match(table.stdout, /^BRISK_LOG_LEVEL\s+info\s+default$/m)
    assert.match(table.stdout, /BRISK_PROT \(\.env\) is not a Brisk setting/)
    for (const run of [fromFile, overridden, table]) assert.ok(!run.stdout.includes('s3cret'))
  } finally {
    fs.rmSync(path.join(cwd, '.env'))
  }
})

test('config show exits 1 and names the setting it refuses, still showing the others', async () => {
  const run = await runBrisk(['config', 'show'], { cwd, env: { BRISK_LOG_LEVEL: 'loud' } })
  assert.equal(run.code, 1)
  assert.match(run.stdout, /^BRISK_LOG_LEVEL\s+loud\s+environment\s+REFUSED: BRISK_LOG_LEVEL must be one of/m)
  assert.match(run.stdout, /^BRISK_PORT\s+3000\s+default$/m)
})
