import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import { countQueries } from '../../../test/expect-queries.ts'

// Runs on both dialects: the PGlite dialect must behave as pg does.
describeEachDatabase('database layer', (ctx) => {
  test('numbers, numerics, dates and timestamps parse identically', async () => {
    const { rows } = await sql<{ i: number; n: string; d: string; t: Date; a: number[]; na: string[] }>`
      select 42::int8 as i, 12.50::numeric(10,2) as n, '2026-11-22'::date as d,
        '2026-11-22T10:00:00Z'::timestamptz as t, array[1,2]::int8[] as a, array[0.5]::numeric[] as na`.execute(ctx.db.primary)
    assert.deepEqual(rows[0], {
      i: 42,
      n: '12.50',
      d: '2026-11-22',
      t: new Date('2026-11-22T10:00:00Z'),
      a: [1, 2],
      na: ['0.5'],
    })
  })

  test('a failed transaction leaves nothing; savepoints roll back only their part', async () => {
    await assert.rejects(
      ctx.db.primary.transaction().execute(async (trx) => {
        await trx.insertInto('unit').values({ code: 'doomed', name: 'x' }).execute()
        throw new Error('stop')
      }),
      /stop/,
    )
    const trx = await ctx.db.primary.startTransaction().execute()
    await trx.insertInto('unit').values({ code: 'kept', name: 'x' }).execute()
    const inner = await trx.savepoint('inner').execute()
    await inner.insertInto('unit').values({ code: 'undone', name: 'x' }).execute()
    await inner.rollbackToSavepoint('inner').execute()
    await trx.commit().execute()
    const codes = (await ctx.db.primary.selectFrom('unit').select('code').orderBy('code').execute()).map((r) => r.code)
    assert.deepEqual(codes, ['kept'])
  })

  test('concurrent transactions do not interleave and all commit', async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ctx.db.primary.transaction().execute(async (trx) => {
          await trx.insertInto('unit').values({ code: `c${i}`, name: 'x' }).execute()
          await new Promise((resolve) => setTimeout(resolve, 2))
          await trx.updateTable('unit').set({ name: `n${i}` }).where('code', '=', `c${i}`).execute()
        }),
      ),
    )
    const rows = await ctx.db.primary.selectFrom('unit').select(['code', 'name']).orderBy('code').execute()
    assert.equal(rows.length, 10)
    for (const row of rows) assert.equal(row.name, `n${row.code.slice(1)}`)
  })

  test('every statement is counted, BEGIN and COMMIT included', async () => {
    const { count, stats } = await countQueries(() =>
      ctx.db.primary.transaction().execute(async (trx) => {
        await trx.selectFrom('unit').selectAll().execute()
      }),
    )
    assert.equal(count, 3)
    assert.deepEqual(stats.statements?.map((s) => s.split(' ')[0]), ['begin', 'select', 'commit'])
  })
})
