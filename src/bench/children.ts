import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The file of a module beside `metaUrl`'s, with the same extension: `.ts` when the bench runs from
 * the sources (through tsx), `.js` when it runs compiled from dist/.
 */
export function siblingModule(metaUrl: string, name: string): string {
  const self = fileURLToPath(metaUrl)
  return path.join(path.dirname(self), `${name}${path.extname(self)}`)
}

/** Node flags a child needs to run `file`: tsx's loader for TypeScript sources, nothing for JavaScript. */
export function nodeArgsFor(file: string): string[] {
  return file.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : []
}

/** `node bin/brisk.js`, which runs the compiled CLI when it is current and the sources otherwise. */
export function briskCommand(): { command: string; args: string[] } {
  const bin = fileURLToPath(new URL('../../bin/brisk.js', import.meta.url))
  return { command: process.execPath, args: [bin] }
}

/** A loopback port free at this instant, for a server the bench starts. */
export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** The child processes of `pid` (Linux: /proc/<pid>/task/<tid>/children), for a `serve --workers N`. */
export function childrenOf(pid: number): number[] {
  const found: number[] = []
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim()
    if (text !== '') found.push(...text.split(/\s+/).map(Number))
  }
  return found
}

/** User + system CPU time of a process, in ms (Linux: /proc/<pid>/stat, in clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  // the command name (field 2) may hold spaces; utime and stime are fields 14 and 15
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** CPU time of a process and its children (ms), or NaN where /proc cannot tell. */
export function cpuMsOfTree(pid: number): number {
  try {
    return [pid, ...childrenOf(pid)].reduce((sum, p) => sum + cpuMsOf(p), 0)
  } catch {
    return Number.NaN
  }
}
