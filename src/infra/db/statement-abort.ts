/**
 * A single-statement write that must undo itself when two of its parts disagree selects
 * `abortStatement(reason)` (migration 0013's brisk_abort): the error rolls the whole statement back.
 */
import { type RawBuilder, sql } from 'kysely'

const ABORTED = 'brisk_abort'

/** SQL that aborts the statement it is evaluated in, saying why. */
export const abortStatement = (reason: string): RawBuilder<boolean> => sql<boolean>`${sql.raw(ABORTED)}(${reason})`

/** True when `error` is a statement that undid itself with abortStatement. */
export const isStatementAbort = (error: unknown): boolean => error instanceof Error && error.message === ABORTED
