/**
 * The supervisor of `brisk serve --workers N` over fake workers and mocked timers: when the banner
 * comes, how a death is answered, when it gives up, how it stops. serve.workers.test.ts runs the
 * real processes.
 */
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { beforeEach, afterEach, mock, test } from 'node:test'
import { CRASH_WINDOW_MS, KILL_GRACE_MS, type PrimaryLog, RESTART_DELAYS_MS, type SupervisedWorker, Supervisor } from './serve-primary.ts'
import type { ToWorker } from './serve-worker.ts'

const SHUTDOWN_TIMEOUT_MS = 5000
const URL = 'http://127.0.0.1:3000'

class FakeWorker extends EventEmitter {
  static nextPid = 1000
  readonly sent: ToWorker[] = []
  readonly signals: string[] = []
  connected = true
  readonly process = {
    pid: FakeWorker.nextPid++,
    kill: (signal: NodeJS.Signals) => {
      this.signals.push(signal)
      return true
    },
  }

  isConnected(): boolean {
    return this.connected
  }

  send(message: ToWorker, callback?: (error: Error | null) => void): boolean {
    this.sent.push(message)
    callback?.(null)
    return true
  }

  ready(): void {
    this.emit('message', { type: 'brisk:ready', url: URL })
  }

  die(code: number | null, signal: string | null = null): void {
    this.connected = false
    this.emit('exit', code, signal)
  }
}

function supervise(workers = 2) {
  const forked: FakeWorker[] = []
  const exits: number[] = []
  const banners: string[] = []
  const lines: string[] = []
  const line = (fields: object, message: string) => lines.push(`${message} ${JSON.stringify(fields)}`)
  const log: PrimaryLog = { debug: line, info: line, warn: line, error: line }
  const supervisor = new Supervisor({
    workers,
    shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
    log,
    onAllReady: (url) => banners.push(url),
    fork: () => {
      const worker = new FakeWorker()
      forked.push(worker)
      return worker as unknown as SupervisedWorker
    },
    exit: (code) => exits.push(code),
  })
  supervisor.start()
  return { supervisor, forked, exits, banners, lines }
}

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }))
afterEach(() => mock.timers.reset())

test('the banner once every worker listens, and only then; the background jobs run in worker 1 alone', () => {
  const { forked, banners } = supervise(3)
  assert.equal(forked.length, 3)
  forked[0]!.ready()
  forked[2]!.ready()
  assert.deepEqual(banners, [])
  forked[1]!.ready()
  assert.deepEqual(banners, [URL])
  const jobs = forked.map((w) => w.sent.filter((m) => m.type === 'brisk:start-background-jobs').length)
  assert.deepEqual(jobs, [1, 0, 0])
})

test('a worker that dies is started again after a short delay, in its slot (it runs the background jobs if it was worker 1)', () => {
  const { forked, banners, lines, exits } = supervise()
  for (const worker of forked) worker.ready()
  forked[0]!.die(null, 'SIGKILL')
  assert.equal(forked.length, 2, 'not at once')
  mock.timers.tick(RESTART_DELAYS_MS[0]!)
  assert.equal(forked.length, 3)
  const replacement = forked[2]!
  replacement.ready()
  assert.deepEqual(banners, [URL], 'no second banner')
  assert.ok(lines.some((l) => l.startsWith('worker 1 is serving again')))
  assert.ok(lines.some((l) => l.startsWith(`worker 1 (pid ${forked[0]!.process.pid}) was killed by SIGKILL; starting it again`)))
  assert.deepEqual(replacement.sent, [{ type: 'brisk:start-background-jobs' }])
  assert.deepEqual(exits, [])
})

test('a worker that keeps dying waits longer each time; the sixth death within a minute stops Brisk with exit 1', () => {
  const { forked, exits, lines } = supervise()
  for (const worker of forked) worker.ready()
  const other = forked[1]!
  let victim = forked[0]!
  for (const delay of RESTART_DELAYS_MS) {
    victim.die(1)
    mock.timers.tick(delay - 1)
    const before = forked.length
    mock.timers.tick(1)
    assert.equal(forked.length, before + 1, `restarted after ${delay} ms`)
    victim = forked.at(-1)!
    victim.ready()
  }
  victim.die(1)
  assert.ok(lines.some((l) => l.startsWith('worker 1 died 6 times within 60 s (last exited with code 1): giving up')))
  assert.deepEqual(other.sent.at(-1), { type: 'brisk:stop', signal: 'crash loop' })
  other.die(0)
  assert.deepEqual(exits, [1])
})

test('deaths a minute apart do not add up', () => {
  const { forked, exits } = supervise(1)
  forked[0]!.ready()
  for (let death = 0; death < 8; death++) {
    forked.at(-1)!.die(1)
    mock.timers.tick(RESTART_DELAYS_MS[0]!)
    forked.at(-1)!.ready()
    mock.timers.tick(CRASH_WINDOW_MS)
  }
  assert.equal(forked.length, 9)
  assert.deepEqual(exits, [])
})

test('a worker that dies before every worker is ready stops Brisk with exit 1; one still starting is sent SIGTERM', () => {
  const { forked, exits, banners } = supervise()
  forked[0]!.die(1)
  assert.deepEqual(forked[1]!.signals, ['SIGTERM'])
  assert.deepEqual(exits, [])
  forked[1]!.die(null, 'SIGTERM')
  assert.deepEqual(exits, [1])
  assert.deepEqual(banners, [])
  assert.equal(forked.length, 2, 'nothing restarted')
})

test('stop: serving workers are told to drain (a message, not a signal); exit 0 once all exited 0', () => {
  const { supervisor, forked, exits } = supervise()
  for (const worker of forked) worker.ready()
  supervisor.stop('SIGTERM')
  for (const worker of forked) {
    assert.deepEqual(worker.sent.at(-1), { type: 'brisk:stop', signal: 'SIGTERM' })
    assert.deepEqual(worker.signals, [])
  }
  forked[0]!.die(0)
  assert.deepEqual(exits, [])
  forked[1]!.die(0)
  assert.deepEqual(exits, [0])
})

test('stop: a serving worker that does not exit 0 makes the exit code 1; a restart pending is cancelled', () => {
  const { supervisor, forked, exits } = supervise()
  for (const worker of forked) worker.ready()
  forked[1]!.die(null, 'SIGKILL')
  supervisor.stop('SIGTERM')
  mock.timers.tick(RESTART_DELAYS_MS[0]!)
  assert.equal(forked.length, 2, 'not restarted while stopping')
  forked[0]!.die(1)
  assert.deepEqual(exits, [1])
})

test('stop: workers still running after the shutdown timeout are killed, exit 1', () => {
  const { supervisor, forked, exits } = supervise()
  for (const worker of forked) worker.ready()
  supervisor.stop('SIGTERM')
  mock.timers.tick(SHUTDOWN_TIMEOUT_MS + KILL_GRACE_MS - 1)
  assert.deepEqual(exits, [])
  mock.timers.tick(1)
  assert.deepEqual(
    forked.map((w) => w.signals),
    [['SIGKILL'], ['SIGKILL']],
  )
  assert.deepEqual(exits, [1])
})
