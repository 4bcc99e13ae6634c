/** Recommendation scores: upserted in place in one statement, read as a customer's top products. */
import type { Db } from '../../infra/db/database.ts'
import { decimalString, readDecimal } from '../../infra/decimal.ts'
import { invalid, notFound } from '../../infra/errors.ts'
import * as repo from './activity.repository.ts'
import { SCORE_LIMITS } from './activity.schemas.ts'

export interface ScoreInput {
  customerId: number
  productId?: number | undefined
  sku?: string | undefined
  algorithm: string
  score: string | number
}

function toRecord(input: ScoreInput, index: number): repo.ScoreRecord {
  const path = `/scores/${index}`
  if ((input.productId === undefined) === (input.sku === undefined)) {
    throw invalid('ACTIVITY_PRODUCT_REQUIRED', `${path}: give exactly one of productId and sku.`, { field: `${path}/productId` })
  }
  const score = readDecimal(input.score, `scores[${index}].score`, SCORE_LIMITS, 'ACTIVITY_INVALID_SCORE')
  return {
    index,
    customerId: input.customerId,
    productId: input.productId ?? null,
    sku: input.sku ?? null,
    algorithm: input.algorithm,
    score: decimalString(score),
  }
}

/** The first ten fields of a refusal's message; its details list them all. */
export const listed = (rows: readonly { field: string }[]) =>
  rows.slice(0, 10).map((r) => r.field).join(', ') + (rows.length > 10 ? ` and ${rows.length - 10} more` : '')

const productField = (scores: readonly ScoreInput[], index: number) =>
  `/scores/${index}/${scores[index]?.sku === undefined ? 'productId' : 'sku'}`

/**
 * Inserts or updates every score, or none: an unknown customer or product, or two rows with the
 * same (customer, algorithm, product) — by id or SKU — refuse the request naming the rows.
 */
export async function upsertScores(db: Db, scores: readonly ScoreInput[]): Promise<{ upserted: number }> {
  const records = scores.map(toRecord)
  const { upserted, unknown, duplicates } = await repo.upsertScores(db.primary, records)
  if (unknown) {
    const rows = unknown.map((u) => ({ field: u.product ? productField(scores, u.index) : `/scores/${u.index}/customerId` }))
    throw invalid('ACTIVITY_UNKNOWN_REFERENCE', `No such product or customer at ${listed(rows)}; nothing was written.`, {
      field: rows[0]!.field,
      rows,
    })
  }
  if (duplicates) {
    const groups = duplicates.map((indexes) => indexes.map((i) => `/scores/${i}`))
    const named = groups.slice(0, 10).map((g) => g.join(' and ')).join('; ')
    const more = groups.length > 10 ? ` and ${groups.length - 10} more` : ''
    throw invalid('ACTIVITY_DUPLICATE_SCORE', `The same customer, algorithm and product more than once: ${named}${more}; nothing was written.`, {
      field: groups[0]![1],
      duplicates: groups,
    })
  }
  return { upserted }
}

export async function topRecommendations(db: Db, query: { customerId: number; algorithm: string; limit?: number | undefined }) {
  const { customer, items } = await repo.findTopRecommendations(db.reader, { ...query, limit: query.limit ?? 10 })
  if (customer === null) throw notFound('ACTIVITY_CUSTOMER_NOT_FOUND', `No customer ${query.customerId}.`, { field: '/id' })
  return { algorithm: query.algorithm, items }
}
