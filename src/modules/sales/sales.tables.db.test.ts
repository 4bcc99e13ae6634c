import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { describeEachDatabase } from '../../../test/db.ts'
import type { Columns } from '../../infra/db/columns.ts'
import { INVOICE_LINE_RETURNED, INVOICE_LINE_VALUES, PAYMENT_VALUES, RETURN_LINE_VALUES } from './sales.tables.ts'

describeEachDatabase('sales: column lists', (ctx) => {
  /** The table's columns as a column list: `name: 'type'`, with ` null` where nullable. */
  async function columnsOf(table: string): Promise<[string, string][]> {
    const { rows } = await sql<{ name: string; type: string; nullable: boolean }>`
      select column_name as name, data_type as type, is_nullable = 'YES' as nullable
      from information_schema.columns where table_schema = 'public' and table_name = ${table}
      order by ordinal_position`.execute(ctx.db.primary)
    return rows.map((r) => [r.name, r.nullable ? `${r.type} null` : r.type])
  }

  const keyed = (key: string): Columns => ({ id: 'bigint', [key]: 'bigint' })

  test('every column list the SQL is built from is its table, column for column, in order', async () => {
    const tables: [string, Columns][] = [
      ['sales_invoice_line', { ...keyed('invoice_id'), ...INVOICE_LINE_VALUES, ...INVOICE_LINE_RETURNED }],
      ['sales_return_line', { ...keyed('return_id'), ...RETURN_LINE_VALUES }],
    ]
    // entries, not objects: the order matters (`insert … select t.*`)
    for (const [table, columns] of tables) assert.deepEqual(await columnsOf(table), Object.entries(columns), table)
    // payments also carry their time, which the database sets
    const payment = await columnsOf('sales_payment')
    assert.deepEqual(payment, Object.entries({ ...keyed('invoice_id'), ...PAYMENT_VALUES, created_at: 'timestamp with time zone' }))
  })
})
