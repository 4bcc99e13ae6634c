/**
 * Reading an import's input as it streams: the format judged from its first bytes before anything
 * is written, then one record at a time (CSV through csv-parse, JSON Lines through readline), with
 * its data-line number. Nothing holds more than the current chunk.
 */
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { parse } from 'csv-parse'
import { invalid } from '../../infra/errors.ts'
import type { Reject } from './imports.kinds.ts'

export type ImportFormat = 'csv' | 'ndjson'

/** The bytes a format is judged on, and a resume's fingerprint is taken of. */
export const HEAD_BYTES = 64 * 1024

/** SHA-256 of a file's first 64 KiB and its size: how a resume recognises the same input. */
export async function fingerprintFile(path: string): Promise<string> {
  const file = await open(path, 'r')
  try {
    const { size } = await file.stat()
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size))
    await file.read(head, 0, head.length, 0)
    return createHash('sha256').update(head).update(`:${size}`).digest('hex')
  } finally {
    await file.close()
  }
}

/** The first bytes of `stream` (up to HEAD_BYTES, or the first line if that is longer), and the whole stream again. */
export async function peek(stream: AsyncIterable<Buffer | string>): Promise<{ head: Buffer; all: Readable }> {
  const iterator = stream[Symbol.asyncIterator]()
  const parts: Buffer[] = []
  let size = 0
  let done = false
  while (size < HEAD_BYTES) {
    const next = await iterator.next()
    if (next.done) {
      done = true
      break
    }
    const part = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value)
    parts.push(part)
    size += part.length
  }
  const head = Buffer.concat(parts)
  async function* replay() {
    yield head
    if (done) return
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value
  }
  return { head, all: Readable.from(replay(), { objectMode: false }) }
}

const refuse = (message: string, details?: unknown) => invalid('IMPORTS_UNKNOWN_FORMAT', message, details)

/** The names of a CSV header line, unquoted. */
const headerNames = (line: string) => line.split(',').map((name) => name.trim().replace(/^"(.*)"$/, '$1').trim())

/** Columns of `required` missing from `names`; 'a|b' asks for either. */
export function missingFields(required: readonly string[], names: readonly string[]): string[] {
  return required.filter((field) => !field.split('|').some((name) => names.includes(name)))
}

/**
 * CSV (with a header naming the kind's fields) or JSON Lines, judged from the first bytes; anything
 * else is refused with what was found. `declared` is what the sender said (a content type).
 */
export function detectFormat(head: Buffer, required: readonly string[], declared?: ImportFormat): ImportFormat {
  if (head.includes(0)) throw refuse('The input is binary, not CSV or JSON Lines (it has NUL bytes).')
  const text = head.toString('utf8').replace(/^\uFEFF/, '')
  const firstLine = text.split(/\r?\n/).find((line) => line.trim() !== '')?.trim()
  if (firstLine === undefined) throw refuse('The input is empty: a CSV header line or a JSON Lines record was expected.')
  if (firstLine.includes('\uFFFD')) throw refuse('The input is not UTF-8 text, so it is neither CSV nor JSON Lines.')
  let found: ImportFormat
  if (firstLine.startsWith('[')) throw refuse('The input is a JSON array; send JSON Lines instead: one JSON object a line.')
  if (firstLine.startsWith('{')) {
    found = 'ndjson'
    const complete = text.includes('\n') || head.length < HEAD_BYTES
    if (complete) {
      try {
        JSON.parse(firstLine)
      } catch {
        throw refuse('The first line starts like JSON but is not a JSON object: the input is not JSON Lines.')
      }
    }
  } else {
    found = 'csv'
    const missing = missingFields(required, headerNames(firstLine))
    if (missing.length > 0) {
      throw refuse(
        `The input is neither JSON Lines nor a CSV whose header names the columns ${required.join(', ')}: ` +
          `its first line lacks ${missing.join(', ')}.`,
        { missing, firstLine: firstLine.slice(0, 200) },
      )
    }
  }
  if (declared !== undefined && declared !== found) throw refuse(`The input was sent as ${declared} but reads as ${found}.`)
  return found
}

export type InputRecord = { line: number; record: Record<string, unknown> } | { line: number; reject: Reject }

async function* ndjsonRecords(input: Readable, skip: number): AsyncGenerator<InputRecord> {
  let line = 0
  for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (text.trim() === '') continue
    line += 1
    if (line <= skip) continue
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      yield { line, reject: { line, field: '(record)', message: 'not valid JSON' } }
      continue
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, reject: { line, field: '(record)', message: 'not a JSON object' } }
    } else {
      yield { line, record: value as Record<string, unknown> }
    }
  }
}

async function* csvRecords(input: Readable, skip: number): AsyncGenerator<InputRecord> {
  const parser = input.pipe(
    parse({ columns: (header: string[]) => header.map((h) => h.trim()), bom: true, trim: true, skip_empty_lines: true, relax_column_count: true }),
  )
  let line = 0
  try {
    for await (const record of parser) {
      line += 1
      if (line > skip) yield { line, record: record as Record<string, unknown> }
    }
  } catch (error) {
    throw invalid('IMPORTS_MALFORMED_CSV', `The CSV cannot be read after data line ${line}: ${(error as Error).message}`, { line: line + 1 })
  }
}

/** The records of `input`, numbered from 1 (the first data line), the first `skip` of them passed over unparsed. */
export function readRecords(format: ImportFormat, input: Readable, skip = 0): AsyncGenerator<InputRecord> {
  return format === 'csv' ? csvRecords(input, skip) : ndjsonRecords(input, skip)
}
