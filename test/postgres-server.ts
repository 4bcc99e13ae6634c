/**
 * A PostgreSQL server of a test's own, for tests that stop and start the database (outages):
 * initdb in a temporary folder, a free loopback port, trust authentication. Run as root, the
 * server runs as the `postgres` OS user (PostgreSQL refuses to run as root).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { cleanUpOnExit } from '../src/infra/pg-cluster/cleanup-on-exit.ts'
import {
  asServerUser,
  findPostgresBinaries,
  freeLoopbackPort,
  initDataFolder,
  makeServerFolder,
  runServerProgram,
  type StopMode,
  testServerSettings,
} from '../src/infra/pg-cluster/pg-server-process.ts'

export { findPostgresBinaries, type StopMode }

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

export async function startPostgresServer(bindir: string): Promise<PostgresServer> {
  const folder = makeServerFolder('brisk-postgres-')
  const data = path.join(folder, 'data')
  const pgCtl = (args: string[]) => runServerProgram(bindir, 'pg_ctl', args)
  let removed = false
  const running = () => fs.existsSync(path.join(data, 'postmaster.pid'))
  // Also when the test process ends before its cleanup runs (an uncaught error, Ctrl-C): no server left behind.
  const removeNow = () => {
    if (removed) return
    removed = true
    try {
      if (running()) execFileSync(...asServerUser(bindir, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']), { stdio: 'ignore' })
    } catch {}
    fs.rmSync(folder, { recursive: true, force: true })
  }
  const forget = cleanUpOnExit(removeNow)
  try {
    await initDataFolder(bindir, data)
    const port = await freeLoopbackPort()
    const options = testServerSettings(port, folder)
      .map((setting) => `-c ${setting}`)
      .join(' ')
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
