import type { ColumnType } from 'kysely'

type Sum = ColumnType<string, string | undefined, string>
type Count = ColumnType<number, number | undefined, number>

/**
 * Sales per location, quarter hour and shard (invoice id % SALES_ROLLUP_SHARDS). Named when buckets
 * were hours; rows written before migration 0005 were rebuilt per quarter hour.
 */
export interface SalesRollupHourTable {
  location_id: number
  /** start of a 15-minute UTC interval (date_bin from the epoch) */
  bucket: Date
  /** 'pos' (invoices) or 'online' (orders) */
  channel: ColumnType<'pos' | 'online', 'pos' | 'online' | undefined, 'pos' | 'online'>
  shard: number
  invoices: Count
  returns: Count
  net_amount: Sum
  tax_amount: Sum
  total_amount: Sum
  discount_amount: Sum
}

/** Sales per location, quarter hour and product; quantity in the product's base unit. */
export interface SalesRollupProductHourTable {
  location_id: number
  /** start of a 15-minute UTC interval, as in sales_rollup_hour */
  bucket: Date
  /** 'pos' (invoices) or 'online' (orders) */
  channel: ColumnType<'pos' | 'online', 'pos' | 'online' | undefined, 'pos' | 'online'>
  product_id: number
  quantity: Sum
  net_amount: Sum
  tax_amount: Sum
  total_amount: Sum
}

export interface ReportingTables {
  sales_rollup_hour: SalesRollupHourTable
  sales_rollup_product_hour: SalesRollupProductHourTable
}
