import type { ColumnType, Generated, Selectable } from 'kysely'
import type { Columns, RowOf } from '../../infra/db/columns.ts'

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

/** The lifecycle: placed → paid → fulfilled → completed; cancelled from placed or paid. */
export const ORDER_STATUSES = ['placed', 'paid', 'fulfilled', 'completed', 'cancelled'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

type Decimal = ColumnType<string, string | undefined, string>
type Moment = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>

export interface OnlineOrderTable {
  id: Generated<number>
  /** 'store' or 'marketplace:<name>' */
  source: ColumnType<string, string | undefined, string>
  /** the marketplace's own order id; unique per source */
  external_ref: string | null
  customer_id: number | null
  email: string
  /** SHA-256 of the token a guest reads the order with; null for a customer's */
  access_token_hash: string | null
  status: OrderStatus
  /** where the stock was taken from */
  location_id: number
  shipping_method_id: number | null
  shipping_method_name: string | null
  /** the address as it was at checkout */
  shipping_address: unknown
  shipping_country: string
  subtotal: string
  tax_total: string
  shipping_total: Decimal
  total: string
  line_count: number
  payment_provider: string
  payment_reference: string | null
  paid_total: Decimal
  refunded_total: Decimal
  tracking_reference: string | null
  created_at: CreatedAt
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
  paid_at: Moment
  fulfilled_at: Moment
  completed_at: Moment
  cancelled_at: Moment
}

/** An order line's values as the placing statement writes them (one array per column). */
export const ORDER_LINE_VALUES = {
  position: 'bigint',
  product_id: 'bigint',
  sku: 'text',
  name: 'text',
  unit: 'text',
  quantity: 'numeric',
  factor: 'numeric',
  base_quantity: 'numeric',
  unit_price: 'numeric',
  tax_rate: 'numeric',
  net_amount: 'numeric',
  tax_amount: 'numeric',
  total_amount: 'numeric',
} as const satisfies Columns

export type NewOrderLine = RowOf<typeof ORDER_LINE_VALUES>

export interface OnlineOrderLineTable extends NewOrderLine {
  id: Generated<number>
  order_id: number
  returned_quantity: Decimal
  returned_net: Decimal
  returned_tax: Decimal
}

export interface OnlineOrderEventTable {
  id: Generated<number>
  order_id: number
  at: CreatedAt
  /** 'placed', 'paid', 'fulfilled', 'completed', 'cancelled', 'returned', 'imported' */
  kind: string
  from_status: OrderStatus | null
  to_status: OrderStatus | null
  /** 'customer:<id>', 'guest', 'token:<id>' (staff) or 'system' */
  actor: string
  detail: unknown
}

export interface OnlineOrderReturnTable {
  id: Generated<number>
  order_id: number
  location_id: number
  reason: string | null
  net_amount: string
  tax_amount: string
  /** refunded to the shopper */
  total_amount: string
  token_id: number | null
  created_at: CreatedAt
}

/** A returned line's values (one array per column). */
export const ORDER_RETURN_LINE_VALUES = {
  order_line_id: 'bigint',
  product_id: 'bigint',
  quantity: 'numeric',
  base_quantity: 'numeric',
  net_amount: 'numeric',
  tax_amount: 'numeric',
  total_amount: 'numeric',
} as const satisfies Columns

export type NewOrderReturnLine = RowOf<typeof ORDER_RETURN_LINE_VALUES>

export interface OnlineOrderReturnLineTable extends NewOrderReturnLine {
  id: Generated<number>
  return_id: number
}

export interface OrdersTables {
  cart: CartTable
  cart_line: CartLineTable
  shipping_method: ShippingMethodTable
  shipping_rate: ShippingRateTable
  online_order: OnlineOrderTable
  online_order_line: OnlineOrderLineTable
  online_order_event: OnlineOrderEventTable
  online_order_return: OnlineOrderReturnTable
  online_order_return_line: OnlineOrderReturnLineTable
}

export type OnlineOrderRow = Selectable<OnlineOrderTable>
export type OnlineOrderLineRow = Selectable<OnlineOrderLineTable>

export type CartRow = Selectable<CartTable>
export type CartLineRow = Selectable<CartLineTable>
export type ShippingMethodRow = Selectable<ShippingMethodTable>

/** A method's rates, as one array per column (infra/db/columns.ts). */
export const SHIPPING_RATE_VALUES = { country: 'text', price: 'numeric', free_over: 'numeric null' } as const

/** The values a write adds to a cart, as one array per column (infra/db/columns.ts). */
export const CART_LINE_VALUES = { product_id: 'bigint', unit: 'text', quantity: 'numeric' } as const

/** A line's new quantity, by its id. */
export const CART_LINE_QUANTITIES = { id: 'bigint', quantity: 'numeric' } as const
