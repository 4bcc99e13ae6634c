/**
 * The layout rules that a reviewer should not have to check by eye: dependencies point one way,
 * module doors stay narrow, and files and functions stay small.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import ts from 'typescript'

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

const files = sourceFiles(src)
const relative = (file: string) => path.relative(src, file)

test('infra/ never imports modules/, and modules meet only through index.ts', () => {
  const violations: string[] = []
  for (const file of files) {
    for (const { specifier, typeOnly } of imports(file)) {
      if (!specifier.startsWith('.')) continue
      const target = path.relative(src, path.resolve(path.dirname(file), specifier))
      const [fromTop, fromModule] = relative(file).split(path.sep)
      const [toTop, toModule, ...toRest] = target.split(path.sep)
      if (fromTop === 'infra' && toTop === 'modules') {
        // The Database type is the union of module tables: a type-only import of *.tables.ts is allowed.
        if (!(typeOnly && target.endsWith('.tables.ts'))) violations.push(`${relative(file)} → ${target}`)
      }
      if (fromTop === 'modules' && toTop === 'modules' && fromModule !== toModule && toRest.join('/') !== 'index.ts') {
        violations.push(`${relative(file)} → ${target} (use ${toTop}/${toModule}/index.ts)`)
      }
    }
  }
  assert.deepEqual(violations, [])
})

test("a module's index.ts never re-exports its repository", () => {
  const doors = files.filter((f) => relative(f).startsWith(`modules${path.sep}`) && path.basename(f) === 'index.ts')
  assert.ok(doors.length >= 5, 'every module has an index.ts')
  const violations = doors.flatMap((door) =>
    imports(door)
      .filter(({ specifier }) => specifier.endsWith('.repository.ts'))
      .map(({ specifier }) => `${relative(door)} re-exports ${specifier}`),
  )
  assert.deepEqual(violations, [])
})

/** Every function, arrow function and method of a file with its length in lines. */
function functionLengths(file: string): { name: string; line: number; lines: number }[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const found: { name: string; line: number; lines: number }[] = []
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1
  const visit = (node: ts.Node) => {
    if (ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node)) {
      const parent = node.parent
      const name =
        node.name?.getText(source) ??
        (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) ? parent.name.getText(source) : '(anonymous)')
      const line = lineOf(node.getStart(source))
      found.push({ name, line, lines: lineOf(node.getEnd()) - line + 1 })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const MAX_FILE_LINES = 400
const MAX_FUNCTION_LINES = 60

test(`no file in src/modules is over ${MAX_FILE_LINES} lines`, () => {
  const long = files
    .filter((f) => relative(f).startsWith(`modules${path.sep}`))
    .map((f) => ({ file: relative(f), lines: fs.readFileSync(f, 'utf8').split('\n').length }))
    .filter((f) => f.lines > MAX_FILE_LINES)
  assert.deepEqual(long, [])
})

test(`no function on the sales path is over ${MAX_FUNCTION_LINES} lines`, () => {
  const salesPath = files.filter(
    (f) =>
      (relative(f).startsWith(`modules${path.sep}sales${path.sep}`) || relative(f).startsWith(`bench${path.sep}`)) &&
      !f.endsWith('.test.ts'),
  )
  const long = salesPath.flatMap((file) =>
    functionLengths(file)
      .filter((f) => f.lines > MAX_FUNCTION_LINES)
      .map((f) => `${relative(file)}:${f.line} ${f.name} (${f.lines} lines)`),
  )
  assert.deepEqual(long, [])
})
