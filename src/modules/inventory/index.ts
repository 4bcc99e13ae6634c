export {
  refuseShortStock,
  STOCK_CTE,
  type ShortStock,
  type StockMovement,
  shortStockOf,
  stockMovementCtes,
} from './inventory.fragments.ts'
export { registerInventoryRoutes } from './inventory.routes.ts'
export {
  type AdjustStockInput,
  createInventoryService,
  type InventoryService,
  type LabelledMovement,
  moveStockOrFail,
  type TransferStockInput,
} from './inventory.service.ts'
export { notifyStockMoved, onStockMoved, type StockMovedListener, tellingStockMoved } from './inventory.stock-moves.ts'
export type { LocationRow, StockReason } from './inventory.tables.ts'
