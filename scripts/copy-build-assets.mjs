// The build's second half: tsc compiles src/ into dist/, this copies what it does not compile —
// the storefront's templates and stylesheet, every file under src/ that is not TypeScript — beside it.
import fs from 'node:fs'
import path from 'node:path'

const root = path.join(import.meta.dirname, '..')
const src = path.join(root, 'src')
const dist = path.join(root, 'dist')

fs.cpSync(src, dist, {
  recursive: true,
  filter: (from) => {
    if (fs.statSync(from).isDirectory()) return !from.includes(`${path.sep}fixtures`)
    return !from.endsWith('.ts') && !from.endsWith('.sql') && !from.endsWith('.md')
  },
})
