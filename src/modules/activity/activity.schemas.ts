import { Type } from 'typebox'
import type { DecimalLimits } from '../../infra/decimal.ts'
import { CalendarDate, DateOrTimestamp, Decimal, DecimalOutput, Id, Text } from '../../infra/http/schemas.ts'

/** recommendation_score.score is numeric(12,6). */
export const SCORE_LIMITS: DecimalLimits = { scale: 6, min: '-999999', max: '999999' }
export const MAX_VIEWS_PER_REQUEST = 10_000
export const MAX_SCORES_PER_REQUEST = 10_000

const IdOf = (description: string) => Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description })
const Sku = Text({ minLength: 1, maxLength: 64, description: "The product's SKU (instead of productId)" })
const Label = (description: string) => Text({ pattern: '^[a-z0-9_-]{1,32}$', description })
const Algorithm = Label("The algorithm that computed the score: lower-case letters, digits, '_' and '-', 1 to 32")

export const ViewInput = Type.Object(
  {
    productId: Type.Optional(IdOf('The product viewed (or its sku)')),
    sku: Type.Optional(Sku),
    customerId: Type.Optional(IdOf("The signed-in customer's id; a shopper's own views always carry theirs")),
    sessionId: Type.Optional(Text({ minLength: 1, maxLength: 100, description: "An anonymous session's id" })),
    source: Type.Optional(Label("Where the view happened: 'web' (default), 'app', 'email'…")),
    viewedAt: Type.Optional(DateOrTimestamp('When it happened (default now)')),
  },
  { additionalProperties: false },
)

export const RecordViewsBody = Type.Object(
  { views: Type.Array(ViewInput, { minItems: 1, maxItems: MAX_VIEWS_PER_REQUEST, description: `1 to ${MAX_VIEWS_PER_REQUEST} views` }) },
  { additionalProperties: false },
)

export const RecordedViews = Type.Object({ recorded: Type.Integer({ description: 'Views written' }) })

export const RecentViewsQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Views to answer, newest first (1–500)' })) },
  { additionalProperties: false },
)

const ProductSummary = {
  productId: Type.Integer(),
  sku: Type.String(),
  name: Type.String(),
  price: DecimalOutput,
}

export const RecentView = Type.Object({
  id: Type.Integer(),
  ...ProductSummary,
  sessionId: Type.Union([Type.String(), Type.Null()]),
  source: Type.String(),
  viewedAt: Type.String({ format: 'date-time' }),
})
export const RecentViews = Type.Object({ items: Type.Array(RecentView) })

/** A name, not an offset: PostgreSQL reads "+01:00" the POSIX way. */
const TimeZone = Text({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$',
  description: 'IANA time zone of the days, such as Europe/Paris (default UTC)',
})
export const MAX_DAYS = 366

export const ProductViewsQuery = Type.Object(
  {
    from: CalendarDate('First local day, e.g. 2026-01-01'),
    to: CalendarDate(`Last local day (inclusive), at most ${MAX_DAYS} days after from`),
    timeZone: Type.Optional(TimeZone),
  },
  { additionalProperties: false },
)

export const ProductViewsByDay = Type.Object({
  productId: Type.Integer(),
  timeZone: Type.String(),
  items: Type.Array(Type.Object({ day: Type.String({ format: 'date' }), source: Type.String(), views: Type.Integer() })),
})

export const ScoreInput = Type.Object(
  {
    customerId: Id,
    productId: Type.Optional(IdOf('The product scored (or its sku)')),
    sku: Type.Optional(Sku),
    algorithm: Algorithm,
    score: Decimal(SCORE_LIMITS, 'The score; higher is recommended first'),
  },
  { additionalProperties: false },
)

export const UpsertScoresBody = Type.Object(
  { scores: Type.Array(ScoreInput, { minItems: 1, maxItems: MAX_SCORES_PER_REQUEST, description: `1 to ${MAX_SCORES_PER_REQUEST} scores` }) },
  { additionalProperties: false },
)

export const UpsertedScores = Type.Object({ upserted: Type.Integer({ description: 'Scores inserted or updated' }) })

export const RecommendationsQuery = Type.Object(
  {
    algorithm: Algorithm,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'Products to answer (1–100)' })),
  },
  { additionalProperties: false },
)

export const Recommendations = Type.Object({
  algorithm: Type.String(),
  items: Type.Array(Type.Object({ ...ProductSummary, score: DecimalOutput })),
})
