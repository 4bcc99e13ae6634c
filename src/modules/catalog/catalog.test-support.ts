/** What the catalog database tests share. */
import { after, before } from 'node:test'
import type { DbContext } from '../../../test/db.ts'
import { createToken } from '../../../test/factories.ts'
import { type BriskApp, buildApp } from '../../app.ts'
import { loadConfig } from '../../config/config.ts'
import type { Db } from '../../infra/db/database.ts'

/**
 * Call inside a describe: the app over the suite's database, built once for its tests (`app.http`
 * is ready from the first test on), and a writer's authorization header.
 */
export function useCatalogApp(ctx: DbContext) {
  let built: BriskApp | undefined
  before(async () => {
    built = await buildApp(loadConfig({}, { logLevel: 'silent' }), { db: ctx.db, migrate: false })
  })
  after(async () => {
    await built?.close()
  })
  const app = {
    get http() {
      if (!built) throw new Error('the app is built before the first test')
      return built.http
    },
  }
  async function writer(role: 'admin' | 'manager' = 'admin') {
    const { authorization } = await createToken(ctx.db, role)
    return { authorization }
  }
  return { app, writer }
}

export async function productCount(db: Db): Promise<number> {
  const row = await db.primary
    .selectFrom('product')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
