import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, test } from 'node:test'
import { DataDirLockedError, lockDataDir, recordServerUrl } from './data-dir-lock.ts'

let dir: string
let holders: ChildProcess[]

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brisk-lock-'))
  holders = []
})

afterEach(() => {
  for (const holder of holders) holder.kill()
  fs.rmSync(dir, { recursive: true, force: true })
})

function hold(command: string, args: string[]): ChildProcess {
  const holder = spawn(command, args, { stdio: 'ignore' })
  holders.push(holder)
  return holder
}

const lockFile = () => path.join(dir, 'brisk.lock')

test('a second process on the same data folder is refused; a stale lock is taken over', async () => {
  const holder = hold(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
  fs.writeFileSync(lockFile(), String(holder.pid))
  assert.throws(() => lockDataDir(dir), (e: Error) => e instanceof DataDirLockedError && /in use by another Brisk process/.test(e.message))
  holder.kill()
  await new Promise((resolve) => holder.once('exit', resolve))
  const unlock = lockDataDir(dir)
  assert.equal(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid, process.pid)
  unlock()
  assert.equal(fs.existsSync(lockFile()), false)
})

test('the lock names the process and, once it serves, its URL, which a refused process is told', () => {
  const unlock = lockDataDir(dir)
  try {
    const lock = JSON.parse(fs.readFileSync(lockFile(), 'utf8'))
    assert.equal(lock.pid, process.pid)
    assert.match(lock.command, /\S/)
    recordServerUrl(dir, 'http://127.0.0.1:3999')
    assert.equal(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).url, 'http://127.0.0.1:3999')
  } finally {
    unlock()
  }
  assert.equal(fs.existsSync(lockFile()), false)

  const holder = hold(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
  fs.writeFileSync(lockFile(), JSON.stringify({ pid: holder.pid, command: 'brisk.js serve', url: 'http://127.0.0.1:3999' }))
  assert.throws(
    () => lockDataDir(dir),
    (e: Error) =>
      e instanceof DataDirLockedError &&
      e.holder.pid === holder.pid &&
      e.holder.url === 'http://127.0.0.1:3999' &&
      e.message.includes(`pid ${holder.pid}: \`brisk.js serve\`, serving http://127.0.0.1:3999`),
  )
  // a lock held by another process is left alone
  recordServerUrl(dir, 'http://elsewhere')
  assert.equal(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).url, 'http://127.0.0.1:3999')
})

const noProc = !fs.existsSync('/proc/self/cmdline')

test('a pid reused by a program that is not Node does not hold the folder', { skip: noProc }, async () => {
  const sleeper = hold('sleep', ['30'])
  await new Promise((resolve) => sleeper.once('spawn', resolve))
  fs.writeFileSync(lockFile(), JSON.stringify({ pid: sleeper.pid, command: 'brisk.js serve' }))
  const unlock = lockDataDir(dir)
  assert.equal(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid, process.pid)
  unlock()
})
