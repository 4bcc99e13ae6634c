import type { ColumnType, Generated, Selectable } from 'kysely'

export const STOCK_REASONS = ['adjustment', 'count', 'transfer_out', 'transfer_in', 'sale', 'return', 'cancel', 'import'] as const
export type StockReason = (typeof STOCK_REASONS)[number]

export interface LocationTable {
  id: Generated<number>
  code: string
  name: string
  kind: ColumnType<'store' | 'warehouse', 'store' | 'warehouse' | undefined, 'store' | 'warehouse'>
  allow_negative_stock: ColumnType<boolean, boolean | undefined, boolean>
  /** online orders are fulfilled from the locations that sell online */
  sells_online: ColumnType<boolean, boolean | undefined, boolean>
  /** which online location fulfils an order first: lowest first */
  online_priority: ColumnType<number, number | undefined, number>
  created_at: ColumnType<Date, Date | string | undefined, never>
}

export interface StockLevelTable {
  location_id: number
  product_id: number
  /** base units, numeric(20,6) as a decimal string */
  quantity: string
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface StockLedgerTable {
  id: Generated<number>
  location_id: number
  product_id: number
  delta: string
  reason: StockReason
  reference: string | null
  token_id: number | null
  created_at: ColumnType<Date, Date | string | undefined, never>
}

export interface InventoryTables {
  location: LocationTable
  stock_level: StockLevelTable
  stock_ledger: StockLedgerTable
}

export type LocationRow = Selectable<LocationTable>
export type StockLevelRow = Selectable<StockLevelTable>
export type StockLedgerRow = Selectable<StockLedgerTable>
