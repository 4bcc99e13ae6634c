/** What the catalog database tests share. */
import type { Db } from '../../infra/db/database.ts'

export async function productCount(db: Db): Promise<number> {
  const row = await db.primary
    .selectFrom('product')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
