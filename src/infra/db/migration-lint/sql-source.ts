import { hasSqlDetails, loadModule, type Node, parseSync, type ScanToken, scanSync } from 'libpg-query'

/**
 * A migration file cut into statements by the real PostgreSQL parser and scanner. Positions from
 * libpg-query are byte offsets into the UTF-8 text, so everything here works on bytes and only
 * turns them into line numbers at the edge.
 */

let parserLoaded: Promise<void> | undefined

/** Loads the WASM parser once per process (about 20 ms); later calls return the same promise. */
export function loadSqlParser(): Promise<void> {
  parserLoaded ??= loadModule()
  return parserLoaded
}

/** The runner uses this too: a file runs outside a transaction when its first line is `-- brisk:no-transaction`. */
const NO_TRANSACTION_HEADER = /^\s*--\s*brisk:no-transaction\b/

export function runsInTransaction(sqlText: string): boolean {
  return !NO_TRANSACTION_HEADER.test(sqlText)
}

export interface SqlComment {
  /** Text without the `--` or `/* *\/` markers, trimmed. */
  body: string
  start: number
  line: number
}

export interface SqlStatement {
  node: Node
  /** Byte offset of the first token and just past the last one (the `;` is not included). */
  start: number
  end: number
  line: number
  endLine: number
  text: string
  /** Tokens of the statement, comments left out. */
  tokens: ScanToken[]
  /** Comments inside the statement, right above it, or trailing on its last line. */
  comments: SqlComment[]
}

export interface ParsedSql {
  statements: SqlStatement[]
  comments: SqlComment[]
  /** Offset of the first token of the file, comments included (the place of a header directive). */
  firstTokenStart: number | undefined
  lineOf(byteOffset: number): number
}

export type ParseOutcome = { ok: true; parsed: ParsedSql } | { ok: false; message: string; line: number }

const COMMENT_TOKENS = new Set(['SQL_COMMENT', 'C_COMMENT'])

function isCommentToken(token: ScanToken): boolean {
  return COMMENT_TOKENS.has(token.tokenName)
}

/** Needs `await loadSqlParser()` first. */
export function parseSql(sqlText: string): ParseOutcome {
  // The parser calls an empty text an error; an empty migration is merely pointless.
  if (sqlText.trim() === '') {
    return { ok: true, parsed: { statements: [], comments: [], firstTokenStart: undefined, lineOf: () => 1 } }
  }
  let stmts: { stmt?: Node; stmt_location?: number; stmt_len?: number }[]
  try {
    stmts = parseSync(sqlText).stmts ?? []
  } catch (error) {
    // The cursor position is a 0-based character offset, unlike the byte offsets of the tree.
    const cursor = hasSqlDetails(error) ? (error.sqlDetails?.cursorPosition ?? 0) : 0
    const line = sqlText.slice(0, cursor).split('\n').length
    return { ok: false, message: (error as Error).message, line }
  }
  const bytes = Buffer.from(sqlText, 'utf8')
  const lineStarts = [0]
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) lineStarts.push(i + 1)
  const lineOf = (offset: number): number => {
    let low = 0
    let high = lineStarts.length - 1
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if ((lineStarts[mid] ?? 0) <= offset) low = mid
      else high = mid - 1
    }
    return low + 1
  }

  const tokens = scanSync(sqlText).tokens
  const codeTokens = tokens.filter((t) => !isCommentToken(t))
  const comments: SqlComment[] = tokens.filter(isCommentToken).map((t) => ({
    body: commentBody(t.text),
    start: t.start,
    line: lineOf(t.start),
  }))

  const statements: SqlStatement[] = []
  let cursor = 0
  for (const raw of stmts) {
    if (!raw.stmt) continue
    const from = raw.stmt_location ?? 0
    const to = raw.stmt_len ? from + raw.stmt_len : bytes.length
    while (cursor < codeTokens.length && (codeTokens[cursor]?.start ?? 0) < from) cursor++
    const own: ScanToken[] = []
    for (; cursor < codeTokens.length; cursor++) {
      const token = codeTokens[cursor]
      if (!token || token.end > to) break
      if (token.text !== ';') own.push(token)
    }
    const first = own[0]
    const last = own[own.length - 1]
    if (!first || !last) continue
    statements.push({
      node: raw.stmt,
      start: first.start,
      end: last.end,
      line: lineOf(first.start),
      endLine: lineOf(last.end),
      text: bytes.subarray(first.start, last.end).toString('utf8'),
      tokens: own,
      comments: [],
    })
  }
  attachComments(comments, statements, lineOf)
  return { ok: true, parsed: { statements, comments, firstTokenStart: tokens[0]?.start, lineOf } }
}

function commentBody(text: string): string {
  if (text.startsWith('--')) return text.slice(2).trim()
  return text.replace(/^\/\*/, '').replace(/\*\/$/, '').trim()
}

/**
 * A comment belongs to the statement it sits in, to the statement whose last line it trails
 * (`...; -- note`), or else to the next statement below it.
 */
function attachComments(comments: SqlComment[], statements: SqlStatement[], lineOf: (offset: number) => number): void {
  for (const comment of comments) {
    const inside = statements.find((s) => comment.start >= s.start && comment.start < s.end)
    const before = statements.filter((s) => s.end <= comment.start).at(-1)
    const trailing = before && before.endLine === lineOf(comment.start) ? before : undefined
    const next = statements.find((s) => s.start > comment.start)
    const owner = inside ?? trailing ?? next
    owner?.comments.push(comment)
  }
}

/** The statements of a file, for running them one by one; throws on a syntax error. */
export async function splitSqlStatements(sqlText: string): Promise<SqlStatement[]> {
  await loadSqlParser()
  const outcome = parseSql(sqlText)
  if (!outcome.ok) throw new Error(`line ${outcome.line}: ${outcome.message}`)
  return outcome.parsed.statements
}
