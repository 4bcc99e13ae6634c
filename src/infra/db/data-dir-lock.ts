import fs from 'node:fs'
import path from 'node:path'

/** What the lock file says about the process holding a data folder. */
export interface DataDirHolder {
  pid: number
  /** How it was started, e.g. `brisk.js serve`. */
  command?: string
  /** Where it serves the API, once `brisk serve` listens. */
  url?: string
}

export class DataDirLockedError extends Error {
  /** Which folder, held by whom; the message adds what to do. */
  readonly summary: string

  constructor(
    readonly dataDir: string,
    readonly holder: DataDirHolder,
  ) {
    const what = [holder.command && `\`${holder.command}\``, holder.url && `serving ${holder.url}`].filter(Boolean).join(', ')
    const who = `pid ${holder.pid}${what ? `: ${what}` : ''}`
    const summary = `The embedded database in ${path.resolve(dataDir)} is in use by another Brisk process (${who}).`
    super(`${summary} Stop that process first, or point BRISK_DATA_DIR at another folder.`)
    this.summary = summary
  }
}

const LOCK_FILE = 'brisk.lock'

function lockPathOf(dataDir: string): string {
  return path.join(dataDir, LOCK_FILE)
}

/** The holder named in a lock file; undefined when it is empty or unreadable. Old lock files hold just the pid. */
function parseHolder(text: string): DataDirHolder | undefined {
  const trimmed = text.trim()
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed) }
  try {
    const value = JSON.parse(trimmed) as Partial<DataDirHolder>
    if (!Number.isInteger(value.pid) || (value.pid as number) <= 0) return undefined
    return {
      pid: value.pid as number,
      ...(typeof value.command === 'string' ? { command: value.command } : {}),
      ...(typeof value.url === 'string' ? { url: value.url } : {}),
    }
  } catch {
    return undefined
  }
}

function readHolder(lockPath: string): DataDirHolder | undefined {
  try {
    return parseHolder(fs.readFileSync(lockPath, 'utf8'))
  } catch {
    return undefined
  }
}

/** A pid that exists and, where /proc tells, runs Node: a pid reused by another program after a crash does not count. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  try {
    return /node|brisk|tsx/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
  } catch {
    return true
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function describeSelf(): string {
  return [path.basename(process.argv[1] ?? 'node'), ...process.argv.slice(2)].join(' ')
}

/**
 * PGlite has no lock of its own: two processes on one data folder corrupt it. A lock file naming
 * our pid refuses a second process; a lock left by a process that died is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true })
  const lockPath = lockPathOf(dataDir)
  const self: DataDirHolder = { pid: process.pid, command: describeSelf() }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lockPath, JSON.stringify(self), { flag: 'wx' })
      return () => {
        if (readHolder(lockPath)?.pid !== process.pid) return
        try {
          fs.unlinkSync(lockPath)
        } catch {
          // already gone
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      // A lock file being created right now can be empty for a moment: look again before calling it stale.
      let holder = readHolder(lockPath)
      for (let wait = 0; holder === undefined && wait < 4; wait++) {
        sleepSync(50)
        holder = readHolder(lockPath)
      }
      if (holder && holder.pid !== process.pid && isRunning(holder.pid)) throw new DataDirLockedError(dataDir, holder)
      fs.rmSync(lockPath, { force: true })
    }
  }
  throw new Error(`Could not lock ${lockPath}`)
}

/** Adds the URL a server listens on to the lock file we hold, so a refused CLI can point at the running API. */
export function recordServerUrl(dataDir: string, url: string): void {
  const lockPath = lockPathOf(dataDir)
  const holder = readHolder(lockPath)
  if (holder?.pid !== process.pid) return
  const temporary = `${lockPath}.${process.pid}`
  fs.writeFileSync(temporary, JSON.stringify({ ...holder, url }))
  fs.renameSync(temporary, lockPath)
}
