/**
 * What every PostgreSQL server a test starts of its own needs: the installed server programs, run
 * as the `postgres` OS user when the test runs as root (PostgreSQL refuses to run as root), a folder
 * that user owns, a free loopback port, and signals sent to a server's whole process tree.
 */
import { execFile, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

const asRoot = process.getuid?.() === 0

/** How pg_ctl stops a server: `fast` ends sessions (57P01), `immediate` kills them as a crash would. */
export type StopMode = 'smart' | 'fast' | 'immediate'

/** The folder holding the named server programs, or a reason why there is none. */
export function findPostgresBinaries(programs = ['initdb', 'pg_ctl', 'postgres']): { bindir: string } | { missing: string } {
  let bindir: string
  try {
    bindir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return { missing: 'pg_config is not on the PATH' }
  }
  for (const name of programs) {
    if (!fs.existsSync(path.join(bindir, name))) return { missing: `${name} is not in ${bindir}` }
  }
  if (asRoot) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' })
    } catch {
      return { missing: 'running as root, and there is no postgres OS user to run the server as' }
    }
  }
  return { bindir }
}

export async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A new temporary folder the server's OS user may write in. */
export function makeServerFolder(prefix: string): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
    fs.chownSync(folder, id('-u'), id('-g'))
  }
  return folder
}

/** The command line that runs a server program from `bindir` as the server's OS user. */
export function asServerUser(bindir: string, program: string, args: string[]): [string, string[]] {
  const file = path.join(bindir, program)
  return asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args]
}

/** Runs a server program; a failure carries its output. */
export async function runServerProgram(bindir: string, program: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(...asServerUser(bindir, program, args))
    return stdout
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string }
    throw new Error(`${program} ${args.join(' ')} failed: ${stderr || stdout || String(error)}`)
  }
}

/** A new data folder with trust authentication for every connection, local and over loopback. */
export async function initDataFolder(bindir: string, data: string): Promise<void> {
  await runServerProgram(bindir, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--locale=C', '-E', 'UTF8'])
}

/**
 * Server settings for a throwaway test server on `port`, for pg_ctl's `-o` (a shell word each). fsync off is safe here: the tests stop
 * the server, not the machine. synchronous_commit stays on, so a commit the client saw survives
 * an immediate stop.
 */
export function testServerSettings(port: number, socketFolder?: string): string[] {
  return [
    `port=${port}`,
    'listen_addresses=127.0.0.1',
    // Without a folder, no Unix socket: nothing is left whose lock a restart after SIGKILL would trip on.
    `unix_socket_directories=${socketFolder ?? "''"}`,
    'fsync=off',
    'full_page_writes=off',
    'max_connections=40',
    'shared_buffers=32MB',
  ]
}

/** The postmaster's process id from its data folder, while it runs. */
export function postmasterPid(dataFolder: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataFolder, 'postmaster.pid'), 'utf8').split('\n')[0])
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

interface ProcessRow {
  pid: number
  ppid: number
  zombie: boolean
}

const PS_ARGS = ['-A', '-o', 'pid=,ppid=,stat=']

function parseProcesses(out: string): ProcessRow[] {
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 3)
    .map(([pid, ppid, stat]) => ({ pid: Number(pid), ppid: Number(ppid), zombie: stat!.startsWith('Z') }))
}

/** Synchronous, for exit hooks; everything that may run beside a server under test uses listProcessesSoon. */
function listProcesses(): ProcessRow[] {
  return parseProcesses(execFileSync('ps', PS_ARGS, { encoding: 'utf8' }))
}

/**
 * Without blocking the event loop or spawning: a test that kills a node while Brisk serves in the
 * same process must not stall Brisk. Linux's /proc where there is one (a few small reads), else ps.
 */
async function listProcessesSoon(): Promise<ProcessRow[]> {
  if (!HAS_PROC) return parseProcesses((await run('ps', PS_ARGS, { encoding: 'utf8' })).stdout)
  const pids = (await fs.promises.readdir('/proc')).filter((name) => /^\d+$/.test(name))
  const rows = await Promise.all(pids.map((pid) => procRow(pid)))
  return rows.filter((row): row is ProcessRow => row !== undefined)
}

const HAS_PROC = fs.existsSync('/proc/self/stat')
/** Linux lists a process's children in /proc when built with CONFIG_PROC_CHILDREN (most are) */
const HAS_PROC_CHILDREN = fs.existsSync(`/proc/${process.pid}/task/${process.pid}/children`)

/** `pid` and its descendants, reading only their own /proc entries where it can (a kill must not cost the event loop). */
async function processTreeSoon(pid: number): Promise<number[]> {
  if (!HAS_PROC_CHILDREN) return treeOf(await listProcessesSoon(), pid)
  const tree: number[] = []
  let level = (await livingSoon([pid]))
  while (level.length > 0) {
    tree.push(...level)
    const children = await Promise.all(
      level.map((each) => fs.promises.readFile(`/proc/${each}/task/${each}/children`, 'utf8').catch(() => '')),
    )
    level = await livingSoon(children.flatMap((listed) => listed.split(' ').filter(Boolean).map(Number)))
  }
  return tree
}

/** Which of `pids` are alive (zombies count as gone), reading only their entries. */
async function livingSoon(pids: number[]): Promise<number[]> {
  if (!HAS_PROC) return living(await listProcessesSoon(), pids)
  const rows = await Promise.all(pids.map((pid) => procRow(String(pid))))
  return rows.filter((row): row is ProcessRow => row !== undefined && !row.zombie).map((row) => row.pid)
}

/** /proc/<pid>/stat is "pid (name) state ppid …"; the name may hold spaces and parentheses. */
async function procRow(pid: string): Promise<ProcessRow | undefined> {
  const stat = await fs.promises.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (stat === undefined) return undefined // gone meanwhile
  const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { pid: Number(pid), ppid: Number(ppid), zombie: state === 'Z' }
}

function treeOf(all: ProcessRow[], pid: number): number[] {
  const rows = all.filter((row) => !row.zombie)
  const tree: number[] = []
  let level = rows.filter((row) => row.pid === pid).map((row) => row.pid)
  while (level.length > 0) {
    tree.push(...level)
    level = rows.filter((row) => level.includes(row.ppid)).map((row) => row.pid)
  }
  return tree
}

function living(all: ProcessRow[], pids: number[]): number[] {
  const alive = new Set(all.filter((row) => !row.zombie).map((row) => row.pid))
  return pids.filter((pid) => alive.has(pid))
}

/** `pid` and its descendants that are still alive (zombies count as gone). */
export function processTree(pid: number): number[] {
  return treeOf(listProcesses(), pid)
}

/** Which of `pids` are alive (zombies count as gone). */
export function alive(pids: number[]): number[] {
  return living(listProcesses(), pids)
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {}
}

/** Sends `name` to the postmaster and every process under it: a whole server stops or continues at once. */
export async function signalServer(pid: number, name: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
  // Stopped first, the postmaster forks no child between the listing and the signal.
  if (name === 'SIGSTOP') signal(pid, 'SIGSTOP')
  for (const each of await processTreeSoon(pid)) signal(each, name)
}

/** SIGCONT to a server and its children now, for exit hooks (a paused server acts on no other signal). */
export function continueServerNow(pid: number): void {
  for (const each of processTree(pid)) signal(each, 'SIGCONT')
}

/**
 * SIGKILLs the postmaster and every process under it, as a crash of the machine would: its
 * backends each lead a process group of their own and would otherwise outlive it for a moment.
 * Answers the killed processes. `killServerNow` does the same synchronously, for exit hooks.
 */
export async function killServer(pid: number): Promise<number[]> {
  signal(pid, 'SIGSTOP')
  const tree = await processTreeSoon(pid)
  for (const each of tree) signal(each, 'SIGKILL')
  return tree
}

export function killServerNow(pid: number): number[] {
  signal(pid, 'SIGSTOP')
  const tree = processTree(pid)
  for (const each of tree) signal(each, 'SIGKILL')
  return tree
}

/** Returns once none of `pids` is alive; throws after `timeoutMs`. */
export async function waitUntilGone(pids: number[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let left = await livingSoon(pids); left.length > 0; left = await livingSoon(pids)) {
    if (Date.now() > deadline) throw new Error(`processes ${left.join(', ')} still run after ${timeoutMs} ms`)
    await sleep(20)
  }
}
