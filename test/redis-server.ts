/**
 * A Redis server of a test's own, for tests that stop, kill or pause it (outages): `redis-server`
 * in a temporary folder on a free loopback port, without persistence, so that a restart on the
 * same port starts empty as a crashed cache server would.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { cleanUpOnExit } from '../src/infra/pg-cluster/cleanup-on-exit.ts'
import { freeLoopbackPort } from '../src/infra/pg-cluster/pg-server-process.ts'

export interface RedisServer {
  /** redis://127.0.0.1:<port> */
  readonly url: string
  readonly port: number
  /** Starts it again on the same port (after stop or kill). */
  start(): Promise<void>
  /** SIGTERM, as an operator stopping it; returns once it has exited. */
  stop(): Promise<void>
  /** SIGKILL, as a crash; returns once it has exited. */
  kill(): Promise<void>
  /** SIGSTOP: connections stay open and nothing answers (a hung server). */
  pause(): void
  /** SIGCONT after pause. */
  resume(): void
  /** Kills the server if it runs and deletes its folder; safe to call twice. */
  remove(): Promise<void>
}

const BINARIES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server']

/** The redis-server binary, or a reason why there is none. */
export function findRedisServer(): { binary: string } | { missing: string } {
  const binary = BINARIES.find((file) => fs.existsSync(file))
  return binary ? { binary } : { missing: `redis-server is not installed (looked for ${BINARIES.join(', ')})` }
}

/** Whether a PING on a fresh connection answers +PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

async function waitUntilReady(port: number, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break
    if (await answersPing(port)) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const output = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-2000) : ''
  throw new Error(`redis-server on port ${port} did not start:\n${output}`)
}

export async function startRedisServer(binary: string): Promise<RedisServer> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'brisk-redis-'))
  const log = path.join(folder, 'redis.log')
  const port = await freeLoopbackPort()
  let child: ChildProcess | undefined
  let removed = false
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null
  // Also when the test process ends before its cleanup runs (an uncaught error, Ctrl-C): no server left behind.
  const removeNow = () => {
    if (removed) return
    removed = true
    if (running()) child?.kill('SIGKILL')
    fs.rmSync(folder, { recursive: true, force: true })
  }
  const forget = cleanUpOnExit(removeNow)
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', folder, '--logfile', log]
  const signalAndWait = async (signal: NodeJS.Signals) => {
    const current = child
    if (!current || !running()) return
    const exited = once(current, 'exit')
    current.ref()
    // A paused server takes no SIGTERM until it runs again.
    current.kill('SIGCONT')
    current.kill(signal)
    await exited
  }
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      if (running()) throw new Error('redis-server is running already')
      const started = spawn(binary, [...args, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      // The test process must be able to end while it runs: remove() or the exit hook stops it.
      started.unref()
      child = started
      await waitUntilReady(port, started, log)
    },
    stop: () => signalAndWait('SIGTERM'),
    kill: () => signalAndWait('SIGKILL'),
    pause() {
      child?.kill('SIGSTOP')
    },
    resume() {
      child?.kill('SIGCONT')
    },
    async remove() {
      forget()
      if (removed) return
      try {
        await server.kill()
      } finally {
        removeNow()
      }
    },
  }
  try {
    await server.start()
    return server
  } catch (error) {
    forget()
    removeNow()
    throw error
  }
}
