import type { ColumnType, Generated } from 'kysely'

/** One view of a product: append-only; a customer's (customer_id) or an anonymous session's. */
export interface ProductViewTable {
  id: Generated<number>
  product_id: number
  customer_id: number | null
  session_id: string | null
  /** 'web', 'app', 'email', 'import' … */
  source: ColumnType<string, string | undefined, string>
  viewed_at: ColumnType<Date, Date | string | undefined, never>
}

/** A recommendation score of a product for a customer, by algorithm: upserted in place. */
export interface RecommendationScoreTable {
  customer_id: number
  product_id: number
  algorithm: string
  /** numeric(12,6) as an exact decimal string */
  score: string
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface ActivityTables {
  product_view: ProductViewTable
  recommendation_score: RecommendationScoreTable
}
