// A node:test reporter, used next to spec: after the run it lists the slowest test files.
// With one process per file, Node 20 reports each file as a top-level test named by its path
// (test:complete only); its duration is the file's wall time, process start-up included.
import path from 'node:path'

const SHOWN = 10

export default async function* slowestFiles(source) {
  const files = []
  for await (const event of source) {
    if (event.type !== 'test:complete') continue
    const { name, file, nesting, details } = event.data
    if (nesting === 0 && file !== undefined && name === file) {
      files.push({ file: path.relative(process.cwd(), file), ms: details.duration_ms, passed: details.passed })
    }
  }
  if (files.length === 0) return
  files.sort((a, b) => b.ms - a.ms)
  const shown = files.slice(0, SHOWN)
  const lines = [`slowest test files (${shown.length} of ${files.length}):`]
  for (const { file, ms, passed } of shown) {
    lines.push(`${(ms / 1000).toFixed(2).padStart(7)} s  ${file}${passed ? '' : '  (failed)'}`)
  }
  yield `${lines.join('\n')}\n`
}
