/**
 * What a sale, cancel or return does beyond its own rows — stock moves with ledger rows, and the
 * rollups change — as CTEs of the sales module's own write statements.
 */
import { type RawBuilder, sql } from 'kysely'
import { refuseShortStock, STOCK_CTE, stockMovementCtes } from '../inventory/index.ts'
import { type SalesRollupDelta, salesRollupCtes } from '../reporting/index.ts'

/** The invoice-level change to the rollups (signed); the per-product change comes from the lines. */
export type RollupTotals = Pick<SalesRollupDelta, 'invoices' | 'returns' | 'netAmount' | 'taxAmount' | 'totalAmount' | 'discountAmount'>

/**
 * A sale takes stock and adds to the rollups; a cancel or a return gives the stock back and
 * subtracts. Stock and per-product rollups are computed in SQL from the lines the statement
 * writes or reads, so they always agree with those lines.
 */
export interface SalesEffect {
  kind: 'sale' | 'cancel' | 'return'
  locationId: number
  tokenId: number | null
  totals: RollupTotals
}

/** Where an effect's statement finds its lines, and what it refers to. */
export interface EffectSource {
  /** SQL selecting (product_id, base_quantity, net_amount, tax_amount, total_amount) of the lines concerned */
  lines: RawBuilder<unknown>
  /** the ledger rows' reference */
  reference: string | RawBuilder<string>
  /** the invoice whose rollup shard is written */
  invoiceId: number | RawBuilder<number>
  /** the moment the rollups count it for */
  at: Date | RawBuilder<Date>
  /** applies the effect only when this holds (say, that the statement's insert happened) */
  when?: RawBuilder<boolean>
}

/** The lines of a stored invoice, as `EffectSource.lines` wants them. */
export const storedLinesOf = (invoiceId: number) =>
  sql`select product_id, base_quantity, net_amount, tax_amount, total_amount from sales_invoice_line where invoice_id = ${invoiceId}`

/**
 * The effect as extra CTEs (with a leading comma) of a write statement; nothing without one.
 * Stock rows are locked before rollup rows in every sales statement (reporting's salesRollupCtes
 * waits for the stock CTE), so concurrent sales cannot deadlock.
 */
export function effectCtes(effect: SalesEffect | null, source: EffectSource): RawBuilder<unknown> {
  if (!effect) return sql``
  const gate = source.when ? { when: source.when } : {}
  const [stockSign, sign] = effect.kind === 'sale' ? [sql`-1`, sql`1`] : [sql`1`, sql`-1`]
  const stock = stockMovementCtes(
    sql`select ${effect.locationId}::bigint, l.product_id, ${stockSign} * l.base_quantity, ${effect.kind}::text from (${source.lines}) as l`,
    { reference: source.reference, tokenId: effect.tokenId },
    gate,
  )
  const rollups = salesRollupCtes(
    {
      ...effect.totals,
      locationId: effect.locationId,
      channel: 'pos',
      at: source.at,
      invoiceId: source.invoiceId,
      products: sql`select l.product_id, ${sign} * l.base_quantity, ${sign} * l.net_amount, ${sign} * l.tax_amount,
        ${sign} * l.total_amount from (${source.lines}) as l`,
    },
    { ...gate, after: STOCK_CTE.applied },
  )
  return sql`, ${stock}, ${rollups}`
}

/** The output column that aborts the statement when its stock falls short (always true without an effect). */
export function stockGuard(effect: SalesEffect | null): RawBuilder<unknown> {
  return effect ? sql`${refuseShortStock} as stock_ok` : sql`true as stock_ok`
}
