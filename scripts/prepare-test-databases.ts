// Run by run-tests.mjs before the test files start, so that parallel test processes neither race
// to build the same thing nor each migrate their own: builds the PGlite dump if it is missing, and
// creates and migrates the PostgreSQL template database named on the command line.
import { createTemplateDatabase, pgliteTemplate } from '../test/db.ts'

const [template] = process.argv.slice(2)
await pgliteTemplate()
if (template) await createTemplateDatabase(template)
