import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const BRISK_BIN = path.resolve(import.meta.dirname, '../../bin/brisk.js')

/** The environment a test's brisk runs in: none of the caller's BRISK_ settings, plus the test's own. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('BRISK_')) env[name] = value
  }
  return { ...env, ...extra }
}

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `brisk …` in `cwd` (a fresh temp folder: no .env of the repository) and collects its output. */
export function runBrisk(args: string[], options: { cwd: string; env?: Record<string, string>; nodeArgs?: string[] }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...(options.nodeArgs ?? []), BRISK_BIN, ...args],
      { cwd: options.cwd, env: cleanEnv(options.env), timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

/** A stack trace line, as V8 prints them. */
export const STACK_LINE = /^\s+at .+/m
