export type { LocationRow, StockReason } from './inventory.tables.ts'
export {
  refuseShortStock,
  type ShortStock,
  type StockMovement,
  shortStockOf,
  stockMovementCtes,
} from './inventory.repository.ts'
export { registerInventoryRoutes } from './inventory.routes.ts'
export {
  type AdjustStockInput,
  createInventoryService,
  type InventoryService,
  type LabelledMovement,
  moveStockOrFail,
  type TransferStockInput,
} from './inventory.service.ts'
