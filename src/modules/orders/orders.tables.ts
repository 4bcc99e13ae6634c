import type { ColumnType, Generated, Selectable } from 'kysely'

type CreatedAt = ColumnType<Date, Date | string | undefined, never>

export interface CartTable {
  id: Generated<number>
  /** SHA-256 of a guest cart's token, hex; null for a customer's cart */
  token_hash: string | null
  /** the customer's cart (at most one each); null for a guest's */
  customer_id: number | null
  created_at: CreatedAt
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
  /** every write moves it forward by BRISK_CART_TTL_HOURS; an expired cart is not found */
  expires_at: Date
}

export interface CartLineTable {
  id: Generated<number>
  cart_id: number
  product_id: number
  unit: string
  /** numeric(20,6) as an exact decimal string, in `unit` */
  quantity: string
  created_at: CreatedAt
}

export interface OrdersTables {
  cart: CartTable
  cart_line: CartLineTable
}

export type CartRow = Selectable<CartTable>
export type CartLineRow = Selectable<CartLineTable>

/** The values a write adds to a cart, as one array per column (infra/db/columns.ts). */
export const CART_LINE_VALUES = { product_id: 'bigint', unit: 'text', quantity: 'numeric' } as const

/** A line's new quantity, by its id. */
export const CART_LINE_QUANTITIES = { id: 'bigint', quantity: 'numeric' } as const
