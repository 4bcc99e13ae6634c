import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { after, test } from 'node:test'
import { BRISK_BIN, tempDir } from './cli.test-support.ts'

const root = path.resolve(import.meta.dirname, '../..')
const copy = tempDir('brisk-bin-')
after(() => fs.rmSync(copy, { recursive: true, force: true }))

/** A copy of bin/brisk.js beside a tiny dist/ and src/ that say which one ran, and in which process. */
function layout() {
  fs.mkdirSync(path.join(copy, 'bin'))
  fs.mkdirSync(path.join(copy, 'dist'))
  fs.mkdirSync(path.join(copy, 'src', 'cli'), { recursive: true })
  fs.copyFileSync(BRISK_BIN, path.join(copy, 'bin', 'brisk.js'))
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'))
  fs.writeFileSync(path.join(copy, 'package.json'), '{"type":"module"}')
  const report = (where: string) => `console.log([${where}, process.pid, ...process.argv.slice(2)].join(' '))\n`
  fs.writeFileSync(path.join(copy, 'dist', 'main.js'), report("'dist'"))
  // a type annotation: only runs if tsx compiled it
  fs.writeFileSync(path.join(copy, 'src', 'main.ts'), `const where: string = 'src'\n${report('where')}`)
}

function run(): { ran: string; samePid: boolean; args: string } {
  const result = spawnSync(process.execPath, [path.join(copy, 'bin', 'brisk.js'), 'serve', '--port', '1'])
  const [ran = '', pid = '', ...args] = result.stdout.toString().trim().split(' ')
  return { ran, samePid: Number(pid) === result.pid, args: args.join(' ') }
}

test('bin/brisk.js runs dist/ when it is newer than every source file, else the sources through tsx, in its own process', () => {
  layout()
  const old = new Date(Date.now() - 60_000)
  fs.utimesSync(path.join(copy, 'src', 'main.ts'), old, old)
  assert.deepEqual(run(), { ran: 'dist', samePid: true, args: 'serve --port 1' })

  const future = new Date(Date.now() + 60_000)
  fs.utimesSync(path.join(copy, 'src', 'main.ts'), future, future)
  assert.deepEqual(run(), { ran: 'src', samePid: true, args: 'serve --port 1' })

  // tests do not count: they are not built
  fs.utimesSync(path.join(copy, 'src', 'main.ts'), old, old)
  fs.writeFileSync(path.join(copy, 'src', 'cli', 'x.test.ts'), '')
  fs.utimesSync(path.join(copy, 'src', 'cli', 'x.test.ts'), future, future)
  assert.equal(run().ran, 'dist')
})
