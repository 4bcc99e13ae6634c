import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { DataDirLockedError, lockDataDir } from './data-dir-lock.ts'

test('a second process on the same data folder is refused; a stale lock is taken over', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brisk-lock-'))
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
  try {
    fs.writeFileSync(path.join(dir, 'brisk.lock'), String(holder.pid))
    assert.throws(() => lockDataDir(dir), (e: Error) => e instanceof DataDirLockedError && /in use by another Brisk process/.test(e.message))
    holder.kill()
    await new Promise((resolve) => holder.once('exit', resolve))
    const unlock = lockDataDir(dir)
    assert.equal(fs.readFileSync(path.join(dir, 'brisk.lock'), 'utf8'), String(process.pid))
    unlock()
    assert.equal(fs.existsSync(path.join(dir, 'brisk.lock')), false)
  } finally {
    holder.kill()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
