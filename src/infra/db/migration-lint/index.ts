import fs from 'node:fs'
import path from 'node:path'
import { MIGRATIONS_DIR } from '../migrations.ts'
import { formatLintReport, lintReportToJson } from './format.ts'
import { lintMigrations, type MigrationSource, type Violation } from './lint.ts'

export { formatLintReport, formatViolations, type LintReport, lintReportToJson } from './format.ts'
export { type LintOptions, lintMigrations, type MigrationSource, type Violation } from './lint.ts'
export { DEFAULT_DEPRECATION_DISTANCE, RULE_NAMES, RULES, type RuleName } from './rules.ts'

export interface LintCommandOptions {
  json: boolean
  /** Migrations required between `-- brisk:deprecate` and the drop (default DEFAULT_DEPRECATION_DISTANCE). */
  deprecationDistance?: number
}

/**
 * `brisk migrate lint [files…]`: lints the given files, or every file in migrations/. A file is
 * linted after the other .sql files of its folder that sort before it, so tables created and
 * deprecations made there count. Prints the report; returns the exit code: 0 clean, 1 violations
 * (syntax errors included), 2 a path that does not exist.
 */
export async function runLintCommand(files: string[], options: LintCommandOptions): Promise<number> {
  const start = performance.now()
  const requested = files.length > 0 ? files : [MIGRATIONS_DIR]
  const byFolder = new Map<string, Set<string> | 'all'>()
  for (const file of requested) {
    const full = path.resolve(file)
    if (!fs.existsSync(full)) {
      console.error(`brisk migrate lint: ${file}: no such file or directory`)
      return 2
    }
    if (fs.statSync(full).isDirectory()) {
      byFolder.set(full, 'all')
      continue
    }
    const folder = path.dirname(full)
    const chosen = byFolder.get(folder) ?? new Set<string>()
    if (chosen !== 'all') chosen.add(path.basename(full))
    byFolder.set(folder, chosen)
  }

  const violations: Violation[] = []
  let filesChecked = 0
  for (const [folder, chosen] of byFolder) {
    const sources = readSqlFolder(folder)
    if (chosen !== 'all') {
      for (const name of chosen) {
        if (!sources.some((s) => path.basename(s.name) === name)) sources.push(readSource(path.join(folder, name)))
      }
    }
    const only = sources.filter((s) => chosen === 'all' || chosen.has(path.basename(s.name))).map((s) => s.name)
    filesChecked += only.length
    const found = await lintMigrations(sources, { onlyFiles: only, deprecationDistance: options.deprecationDistance })
    violations.push(...found)
  }
  const report = { filesChecked, violations, durationMs: performance.now() - start }
  console.log(options.json ? lintReportToJson(report) : formatLintReport(report))
  return violations.length > 0 ? 1 : 0
}

/** Every .sql file of a folder in run order, named by its path relative to the working directory. */
function readSqlFolder(folder: string): MigrationSource[] {
  return fs
    .readdirSync(folder)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => readSource(path.join(folder, name)))
}

function readSource(file: string): MigrationSource {
  return { name: path.relative(process.cwd(), file), sql: fs.readFileSync(file, 'utf8') }
}
