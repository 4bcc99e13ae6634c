import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, mock, test } from 'node:test'
import { tempFolderWith } from '../../../../test/temp-folder.ts'
import { readMigrationFiles } from '../migrations.ts'
import { parseQualifiedName } from './ast.ts'
import { classifyTypeChange, type ColumnType } from './column-types.ts'
import { lintMigrations, RULE_NAMES, runLintCommand } from './index.ts'
import type { MigrationSource } from './lint.ts'

const FIXTURES = path.join(import.meta.dirname, 'fixtures')

interface FixtureCase {
  name: string
  files: MigrationSource[]
  /** `file:rule@line`, sorted. */
  expected: string[]
}

/**
 * A case is either one .sql file or a folder of them (run in name order). Each file may carry
 * `-- expect: rule@line[, rule@line]` or `-- expect: ok`; a file without one must be clean.
 */
function readFixtureCases(): FixtureCase[] {
  return fs
    .readdirSync(FIXTURES, { withFileTypes: true })
    .map((entry) => {
      const full = path.join(FIXTURES, entry.name)
      const paths = entry.isDirectory()
        ? fs
            .readdirSync(full)
            .filter((f) => f.endsWith('.sql'))
            .sort()
            .map((f) => path.join(full, f))
        : [full]
      const files = paths.map((p) => ({ name: path.basename(p), sql: fs.readFileSync(p, 'utf8') }))
      const expected = files.flatMap((file) => {
        const header = /^--\s*expect:\s*(.+)$/m.exec(file.sql)?.[1]?.trim()
        if (!header || header === 'ok') return []
        return header.split(',').map((item) => `${file.name}:${item.trim()}`)
      })
      return { name: entry.name.replace(/\.sql$/, ''), files, expected: expected.sort() }
    })
    .sort((a, b) => a.name.localeCompare(b.name))
}

const cases = readFixtureCases()

describe('project migrations', () => {
  test('all pass the linter, in well under a second', async () => {
    const files = readMigrationFiles()
    const start = performance.now()
    const violations = await lintMigrations(files)
    const elapsed = performance.now() - start
    assert.deepEqual(violations, [])
    assert.ok(elapsed < 1000, `linting ${files.length} migrations took ${elapsed.toFixed(0)} ms`)
  })
})

describe('bad-migration corpus', () => {
  test('has at least 30 cases, a failing one for every rule and some that must pass', () => {
    assert.ok(cases.length >= 30, `only ${cases.length} cases`)
    const failing = new Set(cases.flatMap((c) => c.expected.map((e) => e.split(':')[1]?.split('@')[0])))
    const uncovered = RULE_NAMES.filter((rule) => !failing.has(rule))
    assert.deepEqual(uncovered, [])
    assert.ok(cases.filter((c) => c.expected.length === 0).length >= 5)
  })

  for (const fixture of cases) {
    test(fixture.name, async () => {
      const violations = await lintMigrations(fixture.files)
      const actual = violations.map((v) => `${v.file}:${v.rule}@${v.line}`).sort()
      assert.deepEqual(actual, fixture.expected)
    })
  }
})

describe('lintMigrations', () => {
  const create = { name: '0001_customer.sql', sql: 'create table customer (id bigint primary key, fax text);' }
  const deprecate = { name: '0002_deprecate.sql', sql: '-- brisk:deprecate customer.fax\nselect 1;' }
  const drop = { name: '0003_drop.sql', sql: "set lock_timeout = '1s';\nalter table customer drop column fax;" }

  test('the deprecation distance is configurable', async () => {
    assert.deepEqual(await lintMigrations([create, deprecate, drop], { deprecationDistance: 1 }), [])
    const strict = await lintMigrations([create, deprecate, drop], { deprecationDistance: 3 })
    assert.deepEqual(
      strict.map((v) => v.rule),
      ['drop-column'],
    )
    assert.match(strict[0]?.message ?? '', /drops customer\.fax 1 migration\(s\) after its deprecation in 0002_deprecate\.sql; the drop must wait at least 3/)
  })

  test('onlyFiles reports some files but still learns from the others', async () => {
    const bad = { name: '0002_bad.sql', sql: 'alter table customer rename to client;' }
    const violations = await lintMigrations([create, bad], { onlyFiles: ['0001_customer.sql'] })
    assert.deepEqual(violations, [])
  })

  test('lines are right after multi-byte characters', async () => {
    const sql = "-- Änderung: größere Preise ✓\nset lock_timeout = '1s';\n\nalter table product rename column prix to price;"
    const violations = await lintMigrations([{ name: 'x.sql', sql }])
    assert.deepEqual(
      violations.map((v) => `${v.rule}@${v.line}`),
      ['rename-column@4'],
    )
  })

  test('messages name the objects as written, quoting when needed', async () => {
    const sql = 'set lock_timeout = \'1s\';\nalter table "Order" rename column "Total" to total;'
    const [violation] = await lintMigrations([{ name: 'x.sql', sql }])
    assert.equal(violation?.message, 'renames "Order"."Total" to total')
  })
})

describe('classifyTypeChange', () => {
  const t = (name: string, ...modifiers: number[]): ColumnType => ({ name, modifiers, isArray: false, isSerial: false })
  const table: [ColumnType, ColumnType, string][] = [
    [t('numeric', 12, 2), t('numeric', 10, 2), 'narrowing'],
    [t('numeric', 12, 2), t('numeric', 12, 1), 'narrowing'],
    [t('numeric', 12, 2), t('numeric', 14, 2), 'widening'],
    [t('numeric', 12, 2), t('numeric'), 'widening'],
    [t('numeric', 12, 2), t('numeric', 13, 3), 'rewrite'],
    [t('numeric'), t('numeric', 30, 10), 'narrowing'],
    [t('int8'), t('int4'), 'narrowing'],
    [t('int4'), t('int8'), 'rewrite'],
    [t('int4'), t('numeric', 11, 2), 'narrowing'],
    [t('int4'), t('numeric', 12, 2), 'rewrite'],
    [t('numeric', 12, 2), t('int8'), 'narrowing'],
    [t('text'), t('varchar', 10), 'narrowing'],
    [t('varchar', 10), t('varchar', 5), 'narrowing'],
    [t('varchar', 10), t('varchar', 20), 'widening'],
    [t('varchar', 10), t('text'), 'widening'],
    [t('text'), t('bpchar', 3), 'narrowing'],
    [t('bpchar', 3), t('text'), 'rewrite'],
    [t('text'), t('int4'), 'narrowing'],
    [t('int4'), t('text'), 'rewrite'],
    [t('float8'), t('float4'), 'narrowing'],
    [t('float4'), t('float8'), 'rewrite'],
    [t('float8'), t('numeric'), 'narrowing'],
    [t('int4'), t('float8'), 'rewrite'],
    [t('int8'), t('float8'), 'narrowing'],
    [t('timestamptz'), t('date'), 'narrowing'],
    [t('timestamptz'), t('timestamp'), 'narrowing'],
    [t('timestamp'), t('timestamptz'), 'rewrite'],
    [t('timestamptz', 6), t('timestamptz', 3), 'narrowing'],
    [t('timestamptz', 3), t('timestamptz'), 'widening'],
    [t('date'), t('timestamptz'), 'rewrite'],
    [t('bool'), t('int4'), 'rewrite'],
    [t('text'), t('text'), 'same'],
  ]
  for (const [from, to, expected] of table) {
    test(`${from.name}(${from.modifiers}) → ${to.name}(${to.modifiers}) is ${expected}`, () => {
      assert.equal(classifyTypeChange(from, to, false), expected)
    })
  }

  test('a USING clause always rewrites', () => {
    assert.equal(classifyTypeChange(t('text'), t('text'), true), 'rewrite')
    assert.equal(classifyTypeChange(t('int8'), t('int4'), true), 'narrowing')
  })
})

describe('parseQualifiedName', () => {
  test('folds unquoted parts and keeps quoted ones', () => {
    assert.deepEqual(parseQualifiedName('Product.Legacy_Code'), ['product', 'legacy_code'])
    assert.deepEqual(parseQualifiedName('"Order"."Total ""Net"""'), ['Order', 'Total "Net"'])
    assert.deepEqual(parseQualifiedName('sales."Invoice".note'), ['sales', 'Invoice', 'note'])
  })

  test('rejects what is not a dotted name', () => {
    for (const text of ['', 'a.', '.a', 'a..b', '"unterminated', 'a-b', '""']) {
      assert.equal(parseQualifiedName(text), undefined, text)
    }
  })
})

describe('runLintCommand', () => {
  function capture(): { output: () => string; restore: () => void } {
    const lines: string[] = []
    const log = mock.method(console, 'log', (...args: unknown[]) => lines.push(args.join(' ')))
    const error = mock.method(console, 'error', (...args: unknown[]) => lines.push(args.join(' ')))
    return {
      output: () => lines.join('\n'),
      restore: () => {
        log.mock.restore()
        error.mock.restore()
      },
    }
  }

  function folderWith(files: Record<string, string>): string {
    return tempFolderWith('brisk-lint-', files)
  }

  test('prints file:line, rule, why and fix, and exits 1 on a violation', async () => {
    const dir = folderWith({
      '0001_a.sql': 'create table customer (id bigint generated always as identity primary key, name text);',
      '0002_b.sql': "set lock_timeout = '1s';\n\nalter table customer rename column name to full_name;",
    })
    const out = capture()
    const code = await runLintCommand([path.join(dir, '0002_b.sql')], { json: false }).finally(out.restore)
    assert.equal(code, 1)
    const text = out.output()
    assert.match(text, /0002_b\.sql:3 {2}rename-column\n {2}renames customer\.name to full_name\n {2}why: .+\n {2}fix: .+/)
    assert.match(text, /1 violation\(s\) in 1 of 1 migration file\(s\)/)
  })

  test('--json gives the same violations for tools, and exit 0 when clean', async () => {
    const dir = folderWith({ '0001_a.sql': 'create table customer (id bigint generated always as identity primary key);' })
    const out = capture()
    const code = await runLintCommand([dir], { json: true }).finally(out.restore)
    assert.equal(code, 0)
    const report = JSON.parse(out.output()) as { ok: boolean; filesChecked: number; violations: unknown[] }
    assert.equal(report.ok, true)
    assert.equal(report.filesChecked, 1)
    assert.deepEqual(report.violations, [])
  })

  test('a JSON violation carries the rule text', async () => {
    const dir = folderWith({ '0001_a.sql': 'create table t (id serial primary key);' })
    const out = capture()
    const code = await runLintCommand([dir], { json: true }).finally(out.restore)
    assert.equal(code, 1)
    const report = JSON.parse(out.output()) as { violations: Record<string, unknown>[] }
    assert.equal(report.violations[0]?.['rule'], 'prefer-bigint-identity')
    assert.equal(report.violations[0]?.['line'], 1)
    assert.equal(typeof report.violations[0]?.['why'], 'string')
    assert.equal(typeof report.violations[0]?.['fix'], 'string')
  })

  test('exits 2 for a path that does not exist', async () => {
    const out = capture()
    const code = await runLintCommand(['/nonexistent/0001_x.sql'], { json: false }).finally(out.restore)
    assert.equal(code, 2)
  })
})
