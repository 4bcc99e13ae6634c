/**
 * Stock counts: `sku, quantity[, unit]` for one location. An absolute count becomes ONE ledger
 * movement of the difference per product ('count'), computed against the stock level and applied in
 * the same statement — a count of 12 where the stock is 10 writes one +2 ledger row; a count equal
 * to the stock writes nothing. The difference is taken from the statement's snapshot: a sale
 * committing while the chunk runs is kept on top of the count.
 */
import { sql } from 'kysely'
import type { Executor } from '../../infra/db/database.ts'
import { invalid } from '../../infra/errors.ts'
import { refuseShortStock, stockMovementCtes } from '../inventory/index.ts'
import { decimal, isRejected, text } from './imports.fields.ts'
import type { ChunkContext, Numbered, Reject, StatementKind } from './imports.kinds.ts'

export interface StockCountRow {
  sku: string
  /** in `unit`, or the product's base unit */
  quantity: string
  unit: string | null
}

async function checkOptions(db: Executor, options: Record<string, unknown>): Promise<Record<string, unknown>> {
  const code = options['location'] ?? options['locationCode']
  const locationId = options['locationId']
  if (code === undefined && locationId === undefined) {
    throw invalid('IMPORTS_LOCATION_REQUIRED', 'A stock count needs the location it was counted at (locationId, or --location CODE).', { field: 'locationId' })
  }
  const query = db.selectFrom('location').select(['id', 'code'])
  const found = await (locationId !== undefined ? query.where('id', '=', Number(locationId)) : query.where('code', '=', String(code))).executeTakeFirst()
  if (!found) {
    const field = locationId !== undefined ? 'locationId' : 'location'
    throw invalid('IMPORTS_UNKNOWN_LOCATION', `No location ${String(locationId ?? code)}.`, { field })
  }
  return { locationId: Number(found.id), location: found.code }
}

function parse(record: Record<string, unknown>, line: number): StockCountRow | Reject {
  const sku = text(record, 'sku', line, { required: true, max: 64 })
  if (isRejected(sku)) return sku
  const quantity = decimal(record, 'quantity', line, { integer: 14, fraction: 6 })
  if (isRejected(quantity)) return quantity
  const unit = text(record, 'unit', line, { max: 32 })
  if (isRejected(unit)) return unit
  return { sku: sku!, quantity, unit }
}

function chunkCtes(rows: readonly Numbered<StockCountRow>[], context: ChunkContext) {
  const locationId = Number(context.options['locationId'])
  const moves = sql`select location_id, product_id, delta, reason from stock_count_moves`
  return sql`stock_count_input as (
      select * from unnest(${rows.map((r) => r.line)}::int[], ${rows.map((r) => r.row.sku)}::text[],
        ${rows.map((r) => r.row.quantity)}::numeric[], ${rows.map((r) => r.row.unit)}::text[]) as t(line, sku, quantity, unit)
    ), stock_counted as (
      select c.line, c.sku, c.unit, p.id as product_id,
        case when c.unit is null or c.unit = p.base_unit then c.quantity else c.quantity * pu.factor end as base_quantity
      from stock_count_input c
      left join product p on p.sku = c.sku
      left join product_unit pu on pu.product_id = p.id and pu.unit_code = c.unit
    ), stock_count_latest as (
      -- a SKU counted twice in one chunk: its last line is the count
      select distinct on (product_id) product_id, base_quantity
      from stock_counted where product_id is not null and base_quantity is not null
      order by product_id, line desc
    ), stock_count_moves as (
      select ${locationId}::bigint as location_id, l.product_id, l.base_quantity - coalesce(s.quantity, 0) as delta, 'count'::text as reason
      from stock_count_latest l
      left join stock_level s on s.location_id = ${locationId} and s.product_id = l.product_id
    ), ${stockMovementCtes(moves, { reference: `import:${context.runId}`, tokenId: context.tokenId })}
    , chunk_outcome as (
      select ${refuseShortStock} as accepted, (select count(*) from stock_applied)::int as written,
      (select json_agg(distinct product_id) from stock_applied) as moved_products,
      (select json_agg(json_build_object(
          'line', line,
          'field', case when product_id is null then 'sku' else 'unit' end,
          'message', case when product_id is null then 'no product with SKU ' || sku
            else 'unit ' || unit || ' has no conversion for SKU ' || sku end) order by line)
        from stock_counted where product_id is null or base_quantity is null) as rejects
    )`
}

export const stockKind: StatementKind<StockCountRow> = {
  name: 'stock',
  requiredFields: ['sku', 'quantity'],
  checkOptions,
  parse,
  chunkCtes,
}
