import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, mock, test } from 'node:test'
import { createProgress, type ProgressStream } from './progress.ts'

function fakeStream(isTTY: boolean, columns = 200): ProgressStream & { chunks: string[] } {
  const chunks: string[] = []
  return { isTTY, columns, chunks, write: (chunk: string) => chunks.push(chunk) }
}

describe('bench progress', () => {
  let clock = 0
  const now = () => clock

  beforeEach(() => {
    clock = 0
    mock.timers.enable({ apis: ['setInterval'] })
  })
  afterEach(() => mock.timers.reset())

  test('on a pipe: one line per phase with the elapsed time; details are left out', () => {
    const stream = fakeStream(false)
    const progress = createProgress('invoice-submit', stream, now)
    progress.phase('migrating')
    clock = 2500
    progress.phase('measuring 2 round(s)')
    progress.detail('round 1/2, brisk')
    progress.detail('round 2/2, floor')
    progress.note('brisk: 1 failed')
    progress.stop()
    assert.deepEqual(stream.chunks, [
      'invoice-submit · 0.0 s · migrating\n',
      'invoice-submit · 2.5 s · measuring 2 round(s)\n',
      'brisk: 1 failed\n',
    ])
  })

  test('on a terminal: one line redrawn in place, its clock ticking, erased at the end', () => {
    const stream = fakeStream(true)
    const progress = createProgress('invoice-submit', stream, now)
    progress.phase('measuring 2 round(s)')
    progress.detail('round 1/2, brisk')
    clock = 1000
    mock.timers.tick(1000)
    progress.stop()
    clock = 5000
    mock.timers.tick(5000)
    assert.deepEqual(stream.chunks, [
      '\r\x1b[2Kinvoice-submit · 0.0 s · measuring 2 round(s)',
      '\r\x1b[2Kinvoice-submit · 0.0 s · measuring 2 round(s): round 1/2, brisk',
      '\r\x1b[2Kinvoice-submit · 1.0 s · measuring 2 round(s): round 1/2, brisk',
      '\r\x1b[2K',
    ])
  })

  test('on a terminal: a note goes above the line, which is drawn again below it', () => {
    const stream = fakeStream(true)
    const progress = createProgress('bench', stream, now)
    progress.phase('warming up')
    progress.note('brisk, floor: 1 s warm-up each')
    assert.deepEqual(stream.chunks, [
      '\r\x1b[2Kbench · 0.0 s · warming up',
      '\r\x1b[2K',
      'brisk, floor: 1 s warm-up each\n',
      '\r\x1b[2Kbench · 0.0 s · warming up',
    ])
  })

  test('on a terminal: the line is cut to its width, so \\r returns to its start', () => {
    const stream = fakeStream(true, 30)
    createProgress('invoice-submit', stream, now).phase('creating a scratch embedded database in /tmp/brisk-bench-x')
    assert.equal(stream.chunks[0], '\r\x1b[2Kinvoice-submit · 0.0 s · crea')
    assert.equal(stream.chunks[0]!.length - '\r\x1b[2K'.length, 29)
  })
})
