/**
 * Throws random malformed payloads at every write route listed in the OpenAPI document and checks
 * that the answer is always a 4xx with the standard error body, and that nothing was written.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { sql } from 'kysely'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config/config.ts'
import type { Db } from '../src/infra/db/database.ts'
import { describeEachDatabase } from './db.ts'
import { createLocation, createProduct, createToken } from './factories.ts'

async function snapshot(db: Db): Promise<string> {
  const { rows: tables } = await sql<{ tablename: string }>`
    select tablename from pg_tables where schemaname = 'public' order by tablename`.execute(db.primary)
  const parts: string[] = []
  for (const { tablename } of tables) {
    const { rows } = await sql<{ digest: string }>`
      select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') as digest
      from ${sql.table(tablename)} t`.execute(db.primary)
    parts.push(`${tablename}=${rows[0]?.digest}`)
  }
  return parts.join('\n')
}

const WRITE_METHODS = new Set(['post', 'put', 'patch', 'delete'])

describeEachDatabase('bad input', (ctx) => {
  test('random malformed payloads on every write route: never a 5xx, never a write', async () => {
    const app = await buildApp(loadConfig({}, { logLevel: 'silent', bodyLimitBytes: 64 * 1024 }), { db: ctx.db, migrate: false })
    try {
      await createLocation(ctx.db)
      await createProduct(ctx.db, { units: { box12: '12' } })
      const admin = await createToken(ctx.db, 'admin')
      await app.http.ready()
      const spec = app.http.swagger() as { paths: Record<string, Record<string, unknown>> }
      const routes = Object.entries(spec.paths).flatMap(([path, methods]) =>
        Object.keys(methods)
          .filter((m) => WRITE_METHODS.has(m))
          .map((method) => ({ method: method.toUpperCase(), url: path.replace(/\{[^}]+\}/g, '1') })),
      )
      assert.ok(routes.length >= 9, `expected the write routes to be listed, found ${routes.length}`)
      const before = await snapshot(ctx.db)

      const junkBody = fc.oneof(
        fc.anything({ maxDepth: 3 }).map((value) => ({ payload: JSON.stringify(value) ?? 'null' })),
        fc.string({ maxLength: 40 }).map((text) => ({ payload: `{${text}` })),
        fc.record({ lines: fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 3 }) }).map((v) => ({ payload: JSON.stringify(v) })),
        fc.constant({ payload: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) }),
      )
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), junkBody, async (route, body) => {
          const response = await app.http.inject({
            method: route.method as 'POST',
            url: route.url,
            payload: body.payload,
            headers: { authorization: admin.authorization, 'content-type': 'application/json' },
          })
          assert.ok(
            response.statusCode >= 400 && response.statusCode < 500,
            `${route.method} ${route.url} answered ${response.statusCode} to ${body.payload.slice(0, 200)}: ${response.body.slice(0, 300)}`,
          )
          const error = response.json().error
          assert.equal(typeof error?.code, 'string')
          assert.equal(typeof error?.message, 'string')
        }),
        { numRuns: 300, seed: 20261122 },
      )
      assert.equal(await snapshot(ctx.db), before)
    } finally {
      await app.close()
    }
  })
})
