export {
  DEFAULT_CHUNK_SIZE,
  type ImportProgress,
  type ImportRequest,
  type ImportSummary,
  importKindOf,
  importKinds,
  runImport,
} from './imports.engine.ts'
export { detectFormat, fingerprintFile, type ImportFormat } from './imports.input.ts'
export type { ChunkContext, ChunkResult, ImportKind, Numbered, Reject } from './imports.kinds.ts'
export { registerImportRoutes } from './imports.routes.ts'
export { createImportsService, type ImportsService } from './imports.service.ts'
export { IMPORT_KINDS, type ImportKindName } from './imports.tables.ts'
