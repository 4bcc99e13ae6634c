import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config/config.ts'
import { describeEachDatabase } from './db.ts'

describeEachDatabase('the composed app', (ctx) => {
  test('a serving app prunes expired idempotency keys in the background; close stops it', async () => {
    await sql`
      insert into idempotency_key (scope, key, operation, request_hash, response, created_at)
      values ('system', 'old', 'op', 'h', '{}', now() - interval '30 hours'),
        ('system', 'fresh', 'op', 'h', '{}', now() - interval '1 hour')`.execute(ctx.db.primary)
    const app = await buildApp(loadConfig({}, { logLevel: 'silent', idempotencyKeyTtlHours: 24 }), { db: ctx.db, migrate: false })
    const keys = async () => (await ctx.db.primary.selectFrom('idempotency_key').select('key').execute()).map((k) => k.key)
    try {
      assert.deepEqual((await keys()).sort(), ['fresh', 'old'], 'building the app starts nothing')
      app.startBackgroundJobs()
      for (let i = 0; i < 200 && (await keys()).length > 1; i++) await sleep(10)
      assert.deepEqual(await keys(), ['fresh'])
    } finally {
      await app.close()
    }
  })
})
