#!/usr/bin/env node
// Node 20's --test does not expand globs: find the test files and hand them over explicitly.
// With BRISK_TEST_DATABASE_URL set, one migrated template database is made for the run, every
// test file clones it (test/db.ts), and all of them are dropped at the end, failed or not.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

const roots = ['src', 'test']
const files = []
function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'fixtures') walk(full)
    } else if (entry.name.endsWith('.test.ts')) files.push(full)
  }
}
for (const root of roots) if (fs.existsSync(root)) walk(root)
const filter = process.argv.slice(2)
const selected = filter.length ? files.filter((f) => filter.some((word) => f.includes(word))) : files
if (selected.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}

const databaseUrl = process.env.BRISK_TEST_DATABASE_URL || undefined
const needsTemplate = databaseUrl !== undefined && selected.some((f) => f.endsWith('.db.test.ts'))
const template = needsTemplate ? `brisk_test_${process.pid}_${randomBytes(4).toString('hex')}` : undefined
const env = {
  ...process.env,
  BRISK_LOG_LEVEL: process.env.BRISK_LOG_LEVEL ?? 'silent',
  ...(template ? { BRISK_TEST_TEMPLATE_DATABASE: template } : {}),
}
const slowestFiles = ['together', 'alone'].map((run) => path.join(os.tmpdir(), `brisk-slowest-files-${process.pid}-${run}.txt`))

let child
function run(args) {
  child = spawn(process.execPath, args, { stdio: 'inherit', env })
  return once(child, 'exit').then(([code]) => code ?? 1)
}
function runTests(files, concurrency, slowestFile) {
  return run([
    // Every test process compiles PGlite's 9 MB of WebAssembly afresh. V8's optimising compiler
    // costs more CPU than it saves in a process that lives seconds: 85 s of CPU for the suite, 61 s without.
    '--liftoff-only',
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    // a test that hangs fails after this long instead of holding up the whole run (the slowest file,
    // 10,000 write-then-read pairs on real replicas, takes 1–2 minutes on a busy 2-core machine)
    '--test-timeout=300000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${path.join(import.meta.dirname, 'slowest-files-reporter.mjs')}`,
    `--test-reporter-destination=${slowestFile}`,
    ...files,
  ])
}

// Ctrl-C reaches the test processes as well: outlive them, to drop the databases they used.
process.on('SIGINT', () => {})
process.on('SIGTERM', () => child?.kill('SIGTERM'))

let status = 0
try {
  if (template) {
    status = await run(['--import', 'tsx', path.join(import.meta.dirname, 'prepare-test-databases.ts'), template])
    if (status !== 0) console.error('preparing the test databases failed')
  }
  // Files on real replica clusters time failovers (p99, seconds to bench a node): they run one at a
  // time after the rest, so that no other file's load is what they measure.
  const alone = selected.filter((f) => f.endsWith('.cluster.test.ts')).sort()
  const together = selected.filter((f) => !alone.includes(f)).sort()
  if (status === 0) {
    const first = together.length > 0 ? await runTests(together, 2, slowestFiles[0]) : 0
    const second = alone.length > 0 ? await runTests(alone, 1, slowestFiles[1]) : 0
    status = first || second
  }
} finally {
  if (template) await dropDatabases(databaseUrl, template)
}
for (const file of slowestFiles) {
  if (!fs.existsSync(file)) continue
  process.stdout.write(`\n${fs.readFileSync(file, 'utf8')}`)
  fs.rmSync(file)
}
console.log(`\ntotal wall time ${(performance.now() / 1000).toFixed(1)} s`)
process.exit(status)

/** Drops the template and every test file's clone of it (named after it), left behind or not. */
async function dropDatabases(url, template) {
  const client = new pg.Client({ connectionString: url })
  try {
    await client.connect()
    const { rows } = await client.query('select datname from pg_database where datname = $1 or datname like $2', [
      template,
      `${template.replaceAll('_', '\\_')}\\_%`,
    ])
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`)
    if (rows.length > 1) console.log(`\ndropped ${rows.length - 1} test database(s) left behind by test files that did not finish`)
  } catch (error) {
    console.error(`\ncould not drop the test databases ${template}*: ${error.message}`)
  } finally {
    await client.end().catch(() => {})
  }
}
