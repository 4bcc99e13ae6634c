import type { Config } from '../config/config.ts'

/** A `brisk bench <name>` scenario: it prints a table, or JSON with --json. */
export interface BenchOption {
  flags: string
  description: string
  defaultValue?: string | boolean
}

export interface BenchScenario {
  name: string
  description: string
  options: BenchOption[]
  run(config: Config, options: Record<string, string | boolean | undefined>): Promise<void>
}

/** Percentile of a sorted list of numbers (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] ?? Number.NaN
}

/** Renders rows as an aligned text table. */
export function renderTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n')
}

/** The options of a scenario that runs its variants in turns: how long, warmed how long, cut in how many rounds. */
export const ROUND_OPTIONS: BenchOption[] = [
  { flags: '--duration <seconds>', description: 'measured seconds per variant (over all rounds)', defaultValue: '10' },
  { flags: '--warmup <seconds>', description: 'unmeasured seconds of each variant before measuring', defaultValue: '1' },
  { flags: '--rounds <n>', description: 'the measured time is cut in this many rounds; in each, every variant runs in turn', defaultValue: '5' },
]

/** A command-line option that must be a whole number within bounds; the error names it. */
export function integerOption(value: string | boolean | undefined, name: string, min: number, max: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`)
  return n
}

/** A command-line option that must be a number within bounds; the error names it. */
export function numberOption(value: string | boolean | undefined, name: string, min: number, max: number): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}`)
  return n
}
