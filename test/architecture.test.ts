/** Dependencies point one way: infra never imports modules; modules import each other only through index.ts. */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'

const src = path.resolve(import.meta.dirname, '../src')

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : sourceFiles(full)
    return entry.name.endsWith('.ts') ? [full] : []
  })
}

function imports(file: string): { specifier: string; typeOnly: boolean }[] {
  const text = fs.readFileSync(file, 'utf8')
  return [...text.matchAll(/^(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)].map((m) => ({
    specifier: m[3]!,
    typeOnly: Boolean(m[2]),
  }))
}

const violations: string[] = []
for (const file of sourceFiles(src)) {
  const relative = path.relative(src, file)
  for (const { specifier, typeOnly } of imports(file)) {
    if (!specifier.startsWith('.')) continue
    const target = path.relative(src, path.resolve(path.dirname(file), specifier))
    const [fromTop, fromModule] = relative.split(path.sep)
    const [toTop, toModule, ...toRest] = target.split(path.sep)
    if (fromTop === 'infra' && toTop === 'modules') {
      // The Database type is the union of module tables: a type-only import of *.tables.ts is allowed.
      if (!(typeOnly && target.endsWith('.tables.ts'))) violations.push(`${relative} → ${target}`)
    }
    if (fromTop === 'modules' && toTop === 'modules' && fromModule !== toModule && toRest.join('/') !== 'index.ts') {
      violations.push(`${relative} → ${target} (use ${toTop}/${toModule}/index.ts)`)
    }
  }
}

test('infra/ never imports modules/, and modules meet only through index.ts', () => {
  assert.deepEqual(violations, [])
})
