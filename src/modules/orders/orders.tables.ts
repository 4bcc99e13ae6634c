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

export interface ShippingMethodTable {
  id: Generated<number>
  /** stable, lower case: 'standard', 'express' */
  code: string
  name: string
  active: ColumnType<boolean, boolean | undefined, boolean>
  /** display order, lowest first */
  position: ColumnType<number, number | undefined, number>
  created_at: CreatedAt
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface ShippingRateTable {
  shipping_method_id: number
  /** ISO 3166-1 alpha-2, or '*' for every country without a rate of its own */
  country: string
  /** numeric(12,2) as an exact decimal string */
  price: string
  /** free when the cart's total before shipping is at least this; null: never free */
  free_over: string | null
}

export interface OrdersTables {
  cart: CartTable
  cart_line: CartLineTable
  shipping_method: ShippingMethodTable
  shipping_rate: ShippingRateTable
}

export type CartRow = Selectable<CartTable>
export type CartLineRow = Selectable<CartLineTable>
export type ShippingMethodRow = Selectable<ShippingMethodTable>

/** A method's rates, as one array per column (infra/db/columns.ts). */
export const SHIPPING_RATE_VALUES = { country: 'text', price: 'numeric', free_over: 'numeric null' } as const

/** The values a write adds to a cart, as one array per column (infra/db/columns.ts). */
export const CART_LINE_VALUES = { product_id: 'bigint', unit: 'text', quantity: 'numeric' } as const

/** A line's new quantity, by its id. */
export const CART_LINE_QUANTITIES = { id: 'bigint', quantity: 'numeric' } as const
