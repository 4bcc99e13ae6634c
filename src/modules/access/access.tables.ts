import type { ColumnType, Generated, Selectable } from 'kysely'

export type Role = 'admin' | 'manager' | 'cashier'

export interface ApiTokenTable {
  id: Generated<number>
  name: string
  role: Role
  token_hash: string
  /** null: every location */
  location_ids: number[] | null
  created_at: ColumnType<Date, Date | string | undefined, never>
  revoked_at: Date | null
}

export interface AccessTables {
  api_token: ApiTokenTable
}

export type ApiTokenRow = Selectable<ApiTokenTable>
