import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { runBrisk, STACK_LINE, tempDir } from './cli.test-support.ts'

test('brisk carts prune: help, a bad batch size refused in one line, a run on an embedded database', async () => {
  const cwd = tempDir('brisk-cli-carts-')
  try {
    const [help, bad] = await Promise.all([
      runBrisk(['carts', 'prune', '--help'], { cwd }),
      runBrisk(['carts', 'prune', '--batch-size', '0'], { cwd, env: { BRISK_DATABASE_URL: 'postgres://brisk@127.0.0.1:1/nowhere' } }),
    ])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /^Usage: brisk carts prune[\s\S]*--batch-size <n>/)
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /batch size/)
    assert.doesNotMatch(bad.stderr, STACK_LINE)
    const run = await runBrisk(['carts', 'prune'], { cwd, env: { BRISK_DATA_DIR: path.join(cwd, 'data') } })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^Deleted 0 expired cart\(s\) in \d+ ms\.$/m)
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true })
  }
})
