/**
 * POST /api/imports/:kind: an import streamed in the request body (JSON Lines or CSV), written as it
 * arrives — the body is never held whole — and answered with its batch and figures.
 */
import { Readable } from 'node:stream'
import { Type } from 'typebox'
import { BatchLogOutput } from '../../infra/batch-log/batch-log.ts'
import { invalid } from '../../infra/errors.ts'
import { errorResponses, Text } from '../../infra/http/schemas.ts'
import type { HttpServer } from '../../infra/http/server.ts'
import { principalOf } from '../access/index.ts'
import { DEFAULT_CHUNK_SIZE, LISTED_REJECTS, MAX_CHUNK_SIZE } from './imports.engine.ts'
import type { ImportFormat } from './imports.input.ts'
import type { ImportsService } from './imports.service.ts'
import { IMPORT_KINDS } from './imports.tables.ts'

const FORMATS: Record<string, ImportFormat> = { 'application/x-ndjson': 'ndjson', 'text/csv': 'csv' }

const ImportParams = Type.Object({ kind: Type.Union(IMPORT_KINDS.map((k) => Type.Literal(k))) })

const ImportQuery = Type.Object(
  {
    locationId: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Stock counts: where they were counted' })),
    location: Type.Optional(Text({ maxLength: 32, description: 'Stock counts: the location by code, instead of locationId' })),
    strict: Type.Optional(Type.Boolean({ default: false, description: 'Stop at the first bad row; nothing from its chunk on is written' })),
    chunkSize: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_CHUNK_SIZE, description: `rows per chunk: ${DEFAULT_CHUNK_SIZE} by default, 10000 for views` }),
    ),
    resume: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Continue this interrupted import run' })),
  },
  { additionalProperties: false },
)

const RejectOutput = Type.Object({ line: Type.Integer(), field: Type.String(), message: Type.String() })

export const ImportSummaryOutput = Type.Object({
  batchId: Type.Integer({ description: 'The batch log row of this import (GET /api/batches/{id})' }),
  runId: Type.Integer({ description: 'The import run: pass as `resume` to continue it after an interruption' }),
  kind: Type.String(),
  format: Type.String(),
  resumed: Type.Boolean(),
  rowsSkipped: Type.Integer({ description: 'Rows an interrupted run had committed, skipped by this one' }),
  rowsRead: Type.Integer(),
  rowsWritten: Type.Integer(),
  rowsRejected: Type.Integer(),
  chunks: Type.Integer(),
  rejects: Type.Array(RejectOutput, { description: `The first ${LISTED_REJECTS} rejected rows: data line (1 = the first), field, why` }),
  batch: BatchLogOutput,
})

export function registerImportRoutes(app: HttpServer, imports: ImportsService): void {
  // the body reaches the handler as the raw stream; nothing buffers it
  app.addContentTypeParser(Object.keys(FORMATS), (_request, payload, done) => done(null, payload))
  app.post(
    '/api/imports/:kind',
    {
      schema: {
        tags: ['imports'],
        summary: 'Import a streamed file of products, stock counts, views or scores',
        description:
          'The body is JSON Lines (`application/x-ndjson`, one object a line) or CSV (`text/csv`, with a header), streamed: ' +
          'rows are written as they arrive, in chunks (`chunkSize`, 1,000 by default, 10,000 for views), each its own short transaction. A bad row ' +
          'is rejected with its line, field and why, and the rest go in (unless `strict`). Stock counts need `locationId` ' +
          '(or `location`). Answers with the batch log row and the figures. Needs an admin or manager token.',
        params: ImportParams,
        querystring: ImportQuery,
        response: { 200: ImportSummaryOutput, ...errorResponses(400, 401, 403, 404, 409, 415, 422) },
      },
    },
    async (request) => {
      const { locationId, location, strict, chunkSize, resume } = request.query
      if (!(request.body instanceof Readable)) {
        throw invalid('IMPORTS_NOT_STREAMED', 'Send the file as the body, with content-type application/x-ndjson or text/csv.', { field: 'body' })
      }
      const mediaType = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
      const options = locationId !== undefined ? { locationId } : location !== undefined ? { location } : {}
      return imports.importFor(principalOf(request), request.params.kind, {
        source: 'http',
        input: request.body,
        format: FORMATS[mediaType],
        chunkSize,
        strict,
        resumeId: resume,
        options,
      })
    },
  )
}
