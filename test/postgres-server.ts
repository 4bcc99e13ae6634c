/**
 * A PostgreSQL server of a test's own, for tests that stop and start the database (outages):
 * initdb in a temporary folder, a free loopback port, trust authentication. Run as root, the
 * server runs as the `postgres` OS user (PostgreSQL refuses to run as root).
 */
import { execFile, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { cleanUpOnExit } from './cleanup-on-exit.ts'

const run = promisify(execFile)

export type StopMode = 'smart' | 'fast' | 'immediate'

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string
  readonly port: number
  start(): Promise<void>
  /** Returns once the server has stopped: `fast` ends sessions (57P01), `immediate` kills them as a crash would. */
  stop(mode: StopMode): Promise<void>
  /** Stops the server if it runs and deletes its folder; safe to call twice. */
  remove(): Promise<void>
}

/** The folder holding initdb and pg_ctl, or a reason why there is none. */
export function findPostgresBinaries(): { bindir: string } | { missing: string } {
  let bindir: string
  try {
    bindir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return { missing: 'pg_config is not on the PATH' }
  }
  for (const name of ['initdb', 'pg_ctl', 'postgres']) {
    if (!fs.existsSync(path.join(bindir, name))) return { missing: `${name} is not in ${bindir}` }
  }
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' })
    } catch {
      return { missing: 'running as root, and there is no postgres OS user to run the server as' }
    }
  }
  return { bindir }
}

async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

export async function startPostgresServer(bindir: string): Promise<PostgresServer> {
  const asRoot = process.getuid?.() === 0
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'brisk-postgres-'))
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
    fs.chownSync(folder, id('-u'), id('-g'))
  }
  const data = path.join(folder, 'data')
  const asServerUser = (name: string, args: string[]): [string, string[]] => {
    const file = path.join(bindir, name)
    return asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args]
  }
  const pgCtl = (args: string[]) => run(...asServerUser('pg_ctl', args))
  let removed = false
  const running = () => fs.existsSync(path.join(data, 'postmaster.pid'))
  // Also when the test process ends before its cleanup runs (an uncaught error, Ctrl-C): no server left behind.
  const removeNow = () => {
    if (removed) return
    removed = true
    try {
      if (running()) execFileSync(...asServerUser('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']), { stdio: 'ignore' })
    } catch {}
    fs.rmSync(folder, { recursive: true, force: true })
  }
  const forget = cleanUpOnExit(removeNow)
  try {
    await run(...asServerUser('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--locale=C', '-E', 'UTF8']))
    const port = await freeLoopbackPort()
    // fsync off is safe here: the tests stop the server, not the machine. synchronous_commit stays on,
    // so a commit the client saw survives an immediate stop.
    const options = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${folder}`,
      '-c fsync=off',
      '-c full_page_writes=off',
      '-c max_connections=40',
      '-c shared_buffers=32MB',
    ].join(' ')
    const server: PostgresServer = {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      async start() {
        await pgCtl(['start', '-D', data, '-w', '-t', '30', '-l', path.join(folder, 'server.log'), '-o', options])
      },
      async stop(mode) {
        await pgCtl(['stop', '-D', data, '-m', mode, '-w', '-t', '30'])
      },
      async remove() {
        forget()
        if (removed) return
        try {
          if (running()) await server.stop('immediate')
        } finally {
          removeNow()
        }
      },
    }
    await server.start()
    return server
  } catch (error) {
    forget()
    removeNow()
    throw error
  }
}
