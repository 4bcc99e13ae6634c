import type { Violation } from './lint.ts'
import { RULES } from './rules.ts'

export interface LintReport {
  filesChecked: number
  violations: Violation[]
  durationMs: number
}

/** One block per violation: where, which rule, what the statement does, why it hurts, what to do instead. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations
    .map((v) => {
      const rule = RULES[v.rule]
      return [
        `${v.file}:${v.line}  ${v.rule}`,
        `  ${v.message}`,
        `  why: ${rule.why}`,
        `  fix: ${rule.fix}`,
        `  see: ${rule.docs}`,
      ].join('\n')
    })
    .join('\n\n')
}

export function formatLintReport(report: LintReport): string {
  const time = `${Math.round(report.durationMs)} ms`
  if (report.violations.length === 0) {
    return `${report.filesChecked} migration file(s) checked in ${time}: no violations.`
  }
  const files = new Set(report.violations.map((v) => v.file)).size
  return `${formatViolations(report.violations)}\n\n${report.violations.length} violation(s) in ${files} of ${report.filesChecked} migration file(s) (${time}).`
}

export function lintReportToJson(report: LintReport): string {
  const violations = report.violations.map((v) => ({ ...v, ...RULES[v.rule] }))
  return JSON.stringify(
    { ok: violations.length === 0, filesChecked: report.filesChecked, durationMs: Math.round(report.durationMs), violations },
    null,
    2,
  )
}
