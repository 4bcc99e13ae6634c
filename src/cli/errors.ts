import { ConfigError } from '../config/config.ts'
import { DataDirLockedError } from '../infra/db/data-dir-lock.ts'
import { AppError } from '../infra/errors.ts'
import { DataDirBusyError } from './context.ts'

const UNDEFINED_TABLE = '42P01'

/** A mistake in how a command was called, found before any database work. */
export class UsageError extends Error {}

interface ErrnoLike {
  code?: unknown
  address?: unknown
  port?: unknown
  severity?: unknown
}

/** Errors whose message is the whole story: no "where did it come from" hint. */
function isExpected(error: Error): boolean {
  return (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof AppError ||
    error instanceof DataDirBusyError ||
    error instanceof DataDirLockedError ||
    // not imported: that would load the migration runner for every command
    error.constructor.name === 'MigrationError'
  )
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text
}

/** One readable message for an error that ends a CLI command; the stack only when asked for. */
export function explainError(error: unknown, verbose: boolean): string {
  if (!(error instanceof Error)) return `Error: ${String(error)}`
  if (verbose && error.stack) return error.stack
  if (error instanceof ConfigError) return `Configuration error: ${error.message}`
  if (error instanceof AppError) return `${error.code}: ${error.message}`
  if (isExpected(error)) return error.message
  const { code, address, port, severity } = error as ErrnoLike
  const hint = '(--verbose shows the stack trace)'
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
    return `Cannot reach the database: ${firstLine(error.message)} ${hint}`
  }
  if (code === 'EADDRINUSE') {
    return `Cannot listen on ${String(address)}:${String(port)}: the port is in use. Set BRISK_PORT or --port to another one.`
  }
  if (code === UNDEFINED_TABLE) {
    return `The database has no Brisk tables yet (${firstLine(error.message)}): run \`brisk migrate\` first.`
  }
  if (typeof severity === 'string' && typeof code === 'string') {
    return `Database error ${code}: ${firstLine(error.message)} ${hint}`
  }
  return `${firstLine(error.message) || error.name} ${hint}`
}

/** --verbose anywhere on the command line, or BRISK_LOG_LEVEL=debug or trace. */
export function wantsStack(argv: readonly string[], logLevel: string | undefined): boolean {
  return argv.includes('--verbose') || logLevel === 'debug' || logLevel === 'trace'
}
