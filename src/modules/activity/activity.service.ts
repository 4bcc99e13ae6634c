import type { Db } from '../../infra/db/database.ts'
import { type Principal, requireRole } from '../access/index.ts'
import { pruneOldViews, type PruneViewsOptions } from './activity.maintenance.ts'
import { type ScoreInput, topRecommendations, upsertScores } from './activity.scores.ts'
import { countProductViews, listRecentViews, type Recorder, recordViews, type ViewInput } from './activity.views.ts'

/** Who may write recommendation scores: they steer what every shopper is shown. */
const SCORE_WRITERS = ['admin', 'manager'] as const

export function createActivityService(db: Db) {
  return {
    /** Staff record anyone's views; a shopper (`{ customerId }`) only their own. */
    recordViews: (by: Recorder, views: readonly ViewInput[]) => recordViews(db, by, views),
    listRecentViews: (_principal: Principal, customerId: number, limit?: number) => listRecentViews(db, customerId, limit),
    countProductViews: (_principal: Principal, productId: number, query: { from: string; to: string; timeZone?: string | undefined }) =>
      countProductViews(db, productId, query),
    upsertScores: (principal: Principal, scores: readonly ScoreInput[]) => {
      requireRole(principal, SCORE_WRITERS)
      return upsertScores(db, scores)
    },
    /** A customer's own (store) or, for staff, anyone's top recommendations. */
    topRecommendations: (query: { customerId: number; algorithm: string; limit?: number | undefined }) => topRecommendations(db, query),
    pruneOldViews: (options: PruneViewsOptions) => pruneOldViews(db, options),
  }
}

export type ActivityService = ReturnType<typeof createActivityService>
