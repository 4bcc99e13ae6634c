/** Brisk servers started as real processes by a test file; stopLeftovers() in its `after` kills what a failed test left. */
import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import { cleanEnv } from './cli.test-support.ts'

const children: ChildProcess[] = []
const serverPids: number[] = []

export interface ReadyLine {
  pid: number
  msg: string
  url: string
  database: string
  workers?: number
  demo?: { products: number; adminToken?: string; cashierToken?: string }
}

export interface StartedServer {
  child: ChildProcess
  ready: ReadyLine
  exited: Promise<{ code: number | null; signal: string | null }>
  output(): string
}

/** Starts a process and waits for Brisk's JSON "ready" log line on its stdout (not a terminal). */
export async function startServer(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; readyWithinMs?: number },
): Promise<StartedServer> {
  const readyWithinMs = options.readyWithinMs ?? 90_000
  const child = spawn(command, args, { cwd: options.cwd, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let output = ''
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    // Cleared however this ends: a pending timer would keep the test file running after a failure.
    const timer = setTimeout(() => reject(new Error(`no ready line in ${readyWithinMs} ms:\n${output}`)), readyWithinMs)
    child.stderr?.on('data', (chunk) => {
      output += chunk
    })
    child.stdout?.on('data', (chunk) => {
      output += chunk
      const line = output.split('\n').find((l) => l.includes('"msg":"Brisk is ready"'))
      if (line) {
        clearTimeout(timer)
        resolve(JSON.parse(line))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited (${code}) before it was ready:\n${output}`))
    })
  })
  serverPids.push(ready.pid)
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode })
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  return { child, ready, exited, output: () => output }
}

/** Also kills these (workers) when the test file ends. */
export function killLater(...pids: number[]): void {
  serverPids.push(...pids)
}

export function stopLeftovers(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  // a server left behind by a failed test, re-parented away from its wrapper: it would keep the test file running
  for (const pid of serverPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export async function waitUntilGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return !isAlive(pid)
}

export function acceptsConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
