import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import os from 'node:os'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import { describeEachDatabase, testDatabaseUrl } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'
import { createToken } from '../../../test/factories.ts'
import { type BriskApp, buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import { createAccessService } from './access.service.ts'

const BRISK = fileURLToPath(new URL('../../../bin/brisk.js', import.meta.url))
/** The bound the revoke route documents (TOKEN_CACHE_SECONDS), written out so that a longer cache fails here. */
const BOUND_MS = 2000
/** How often the till asks, and what a request on a busy machine may add to the measured time. */
const POLL_MS = 50
const SLACK_MS = 500

describeEachDatabase('access: a token revoked by another process', (ctx) => {
  let app: BriskApp
  before(async () => {
    app = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })
  })
  after(async () => {
    await app?.close()
  })

  /**
   * A till sends a request every POLL_MS while `revoke` runs elsewhere, until it is refused or
   * `deadlineMs` passes. Answers when the first 401 came, and whether every later request was refused too.
   */
  async function pollWhile(authorization: string, revoke: () => Promise<void>, deadlineMs: number) {
    const headers = { authorization }
    const ask = async () => (await app.http.inject({ method: 'GET', url: '/api/locations', headers })).statusCode
    let refusedAt: number | undefined
    const till = (async () => {
      const giveUpAt = Date.now() + deadlineMs
      while (refusedAt === undefined && Date.now() < giveUpAt) {
        const status = await ask()
        if (status === 401) refusedAt = Date.now()
        else assert.equal(status, 200)
        if (refusedAt === undefined) await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      }
    })()
    await revoke()
    await till
    const later = await Promise.all([ask(), ask(), ask()])
    return { refusedAt, later }
  }

  async function revokedAt(tokenId: number): Promise<number> {
    const row = await ctx.db.primary
      .selectFrom('api_token')
      .select('revoked_at')
      .where('id', '=', tokenId)
      .executeTakeFirstOrThrow()
    assert.ok(row.revoked_at, 'the token is revoked')
    return row.revoked_at.getTime()
  }

  test(
    'revoked with `brisk token revoke` in a child process, the token is refused by the server within 2 s',
    { skip: ctx.kind === 'pglite' && 'PGlite belongs to one process: there, revoking goes through the server and is immediate' },
    async (t) => {
      const cashier = await createToken(ctx.db, 'cashier')
      const headers = { authorization: cashier.authorization }
      assert.equal((await app.http.inject({ method: 'GET', url: '/api/locations', headers })).statusCode, 200)
      const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(ctx.db.primary)
      const url = new URL(testDatabaseUrl!)
      url.pathname = `/${rows[0]!.name}`

      const revoke = async () => {
        const env = { ...process.env, BRISK_DATABASE_URL: url.toString(), BRISK_LOG_LEVEL: 'silent' }
        const run = await promisify(execFile)(process.execPath, [BRISK, 'token', 'revoke', String(cashier.principal.tokenId)], {
          env,
          cwd: os.tmpdir(),
          timeout: 30_000,
        })
        assert.match(run.stdout, new RegExp(`token ${cashier.principal.tokenId} revoked`))
      }
      const { refusedAt, later } = await pollWhile(cashier.authorization, revoke, 30_000 + BOUND_MS)
      assert.ok(refusedAt !== undefined, 'the server refused the token')
      const waitedMs = refusedAt - (await revokedAt(cashier.principal.tokenId!))
      t.diagnostic(`refused ${waitedMs} ms after the revocation`)
    assert.ok(waitedMs <= BOUND_MS + SLACK_MS, `refused ${waitedMs} ms after the revocation; the bound is ${BOUND_MS} ms`)
      assert.deepEqual(later, [401, 401, 401])
    },
  )

  test('revoked by another writer on the database, the token is refused within 2 s', async (t) => {
    const cashier = await createToken(ctx.db, 'cashier')
    // As another process would: straight to the table, past this server's service and cache.
    const revoke = async () => {
      await new Promise((resolve) => setTimeout(resolve, 300))
      const revoked = ctx.db.primary.updateTable('api_token').set({ revoked_at: sql`now()` })
      await revoked.where('id', '=', cashier.principal.tokenId).execute()
    }
    const { refusedAt, later } = await pollWhile(cashier.authorization, revoke, 2 * BOUND_MS + 1000)
    assert.ok(refusedAt !== undefined, 'the server refused the token')
    const waitedMs = refusedAt - (await revokedAt(cashier.principal.tokenId!))
    t.diagnostic(`refused ${waitedMs} ms after the revocation`)
    assert.ok(waitedMs <= BOUND_MS + SLACK_MS, `refused ${waitedMs} ms after the revocation; the bound is ${BOUND_MS} ms`)
    assert.deepEqual(later, [401, 401, 401])
  })

  test('concurrent requests with one uncached token wait for one lookup; cached, they send none', async () => {
    const cashier = await createToken(ctx.db, 'cashier')
    const { token } = cashier
    const access = createAccessService(ctx.db)
    const first = await countQueries(() => Promise.all(Array.from({ length: 8 }, () => access.authenticate(token))))
    assert.equal(first.count, 1)
    assert.ok(first.result.every((p) => p?.tokenId === cashier.principal.tokenId))
    const cached = await countQueries(() => Promise.all(Array.from({ length: 8 }, () => access.authenticate(token))))
    assert.equal(cached.count, 0)
    assert.equal((await access.authenticate('brisk_unknown'))?.tokenId, undefined)
  })
})
