import { performance } from 'node:perf_hooks'

/**
 * The line a bench keeps on stderr while it sets up and measures: the phase, its detail (round
 * k/n, variant) and the time since the start. On a terminal it is one line redrawn in place; on a
 * pipe or in a log file each phase gets a line of its own and the detail is left out.
 */
export interface Progress {
  phase(name: string): void
  detail(text: string): void
  /** A message on a line of its own, kept above the progress line. */
  note(line: string): void
  /** Erases the progress line (on a terminal) and stops its clock. */
  stop(): void
}

/** The part of a stream the progress line needs; process.stderr is one. */
export interface ProgressStream {
  isTTY?: boolean
  columns?: number
  write(chunk: string): unknown
}

const ERASE_LINE = '\r\x1b[2K'

export function createProgress(
  label: string,
  stream: ProgressStream = process.stderr,
  now: () => number = () => performance.now(),
): Progress {
  const start = now()
  const tty = stream.isTTY === true
  let phase = ''
  let detail = ''
  let shown = false
  let timer: NodeJS.Timeout | undefined
  const text = () => `${label} · ${((now() - start) / 1000).toFixed(1)} s · ${phase}${detail === '' ? '' : `: ${detail}`}`
  const draw = () => {
    // a line wider than the terminal wraps, and \r then only returns to its last row
    stream.write(`${ERASE_LINE}${text().slice(0, Math.max(20, (stream.columns || 80) - 1))}`)
    shown = true
  }
  const erase = () => {
    if (shown) stream.write(ERASE_LINE)
    shown = false
  }
  return {
    phase(name) {
      phase = name
      detail = ''
      if (!tty) {
        stream.write(`${text()}\n`)
        return
      }
      draw()
      // the clock keeps moving through long phases; unref: it never keeps the process alive
      timer ??= setInterval(draw, 1000).unref()
    },
    detail(value) {
      detail = value
      if (tty && timer) draw()
    },
    note(line) {
      erase()
      stream.write(`${line}\n`)
      if (tty && timer) draw()
    },
    stop() {
      clearInterval(timer)
      timer = undefined
      erase()
    },
  }
}
