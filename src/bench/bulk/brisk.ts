/** Brisk: the import engine (`brisk import <kind> <file>`'s path) on the generated file. */
import fs from 'node:fs'
import type { Db } from '../../infra/db/database.ts'
import { importKindOf, runImport } from '../../modules/imports/index.ts'
import type { Operation } from './options.ts'
import type { World } from './setup.ts'

export interface BriskOutcome {
  rowsWritten: number
  rowsRejected: number
  chunks: number
  /** what the batch log row counted (its own two statements included) */
  loggedStatements: number
  firstReject?: string
}

export async function briskImport(db: Db, world: World, operation: Operation, file: string, chunkSize: number | undefined): Promise<BriskOutcome> {
  const summary = await runImport(db, importKindOf(operation), {
    source: file,
    input: fs.createReadStream(file),
    chunkSize,
    options: operation === 'stock' ? { locationId: world.locationId } : {},
  })
  const reject = summary.rejects[0]
  return {
    rowsWritten: summary.rowsWritten,
    rowsRejected: summary.rowsRejected,
    chunks: summary.chunks,
    loggedStatements: summary.batch.statements,
    ...(reject ? { firstReject: `line ${reject.line}, ${reject.field}: ${reject.message}` } : {}),
  }
}
