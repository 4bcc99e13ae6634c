import type { ColumnType, Generated, Selectable } from 'kysely'

type CreatedAt = ColumnType<Date, Date | string | undefined, never>

export interface CustomerTable {
  id: Generated<number>
  /** as typed; unique whatever its case (an index on lower(email)) */
  email: string
  name: string
  /** `scrypt$N$r$p$salt$hash` (customers.passwords.ts); never leaves the service */
  password_hash: string
  created_at: CreatedAt
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface CustomerAddressTable {
  id: Generated<number>
  customer_id: number
  label: string | null
  name: string
  line1: string
  line2: string | null
  city: string
  postal_code: string
  /** ISO 3166-1 alpha-2, upper case */
  country: string
  phone: string | null
  is_default: ColumnType<boolean, boolean | undefined, boolean>
  created_at: CreatedAt
}

export interface CustomerSessionTable {
  id: Generated<number>
  customer_id: number
  /** SHA-256 of the opaque token, hex */
  token_hash: string
  created_at: CreatedAt
  expires_at: Date
  revoked_at: Date | null
}

export interface CustomersTables {
  customer: CustomerTable
  customer_address: CustomerAddressTable
  customer_session: CustomerSessionTable
}

export type CustomerRow = Selectable<CustomerTable>
export type CustomerAddressRow = Selectable<CustomerAddressTable>
