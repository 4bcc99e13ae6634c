import type { ColumnType, Generated, Selectable } from 'kysely'

type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>

export interface CategoryTable {
  id: Generated<number>
  name: string
  parent_id: number | null
  created_at: CreatedAt
}

export interface UnitTable {
  code: string
  name: string
}

export interface ProductTable {
  id: Generated<number>
  sku: string
  barcode: string | null
  name: string
  description: ColumnType<string, string | undefined, string>
  category_id: number | null
  base_unit: string
  /** numeric(14,2) as an exact decimal string */
  price: string
  /** percent, numeric(6,3) as a decimal string */
  tax_rate: ColumnType<string, string | undefined, string>
  active: ColumnType<boolean, boolean | undefined, boolean>
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface ProductUnitTable {
  product_id: number
  unit_code: string
  /** base units in one of this unit, numeric(20,9) as a decimal string */
  factor: string
  barcode: string | null
}

export interface CatalogTables {
  category: CategoryTable
  unit: UnitTable
  product: ProductTable
  product_unit: ProductUnitTable
}

export type CategoryRow = Selectable<CategoryTable>
export type UnitRow = Selectable<UnitTable>
export type ProductRow = Selectable<ProductTable>
export type ProductUnitRow = Selectable<ProductUnitTable>
