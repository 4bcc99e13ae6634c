#!/usr/bin/env node
// Node 20's --test does not expand globs: find the test files and hand them over explicitly.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

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
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...selected.sort()],
  { stdio: 'inherit', env: { ...process.env, BRISK_LOG_LEVEL: process.env.BRISK_LOG_LEVEL ?? 'silent' } },
)
process.exit(result.status ?? 1)
