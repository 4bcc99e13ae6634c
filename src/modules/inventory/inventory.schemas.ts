import { Type } from 'typebox'
import { QUANTITY_LIMITS } from '../../infra/decimal.ts'
import { Decimal, DecimalOutput, Id, Page, PageQuery, Text } from '../../infra/http/schemas.ts'
import { STOCK_REASONS } from './inventory.tables.ts'

export const StockLine = Type.Object(
  {
    productId: Type.Optional(Id),
    sku: Type.Optional(Text({ minLength: 1, maxLength: 64 })),
    unit: Type.Optional(Text({ minLength: 1, maxLength: 32, description: "Default: the product's base unit" })),
    quantity: Decimal(QUANTITY_LIMITS, 'How many of `unit`; an adjustment may remove (below zero), a transfer moves (above zero)'),
  },
  { additionalProperties: false, description: 'A product (by productId or sku) and a quantity in `unit`' },
)

const Lines = Type.Array(StockLine, { minItems: 1, maxItems: 5000 })
const Reference = Type.Optional(Text({ maxLength: 200 }))

export const AdjustStockBody = Type.Object(
  { reference: Reference, lines: Lines },
  { additionalProperties: false, description: 'Signed quantities: positive adds stock, negative removes it' },
)

export const TransferStockBody = Type.Object(
  { fromLocationId: Id, toLocationId: Id, reference: Reference, lines: Lines },
  { additionalProperties: false },
)

export const Movement = Type.Object({
  locationId: Type.Integer(),
  productId: Type.Integer(),
  delta: DecimalOutput,
  quantity: DecimalOutput,
})

export const MovementsResponse = Type.Object({
  locationId: Type.Optional(Type.Integer()),
  movements: Type.Array(Movement),
})

const LocationKind = Type.Union([Type.Literal('store'), Type.Literal('warehouse')])

export const Location = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  kind: LocationKind,
  allowNegativeStock: Type.Boolean(),
  sellsOnline: Type.Boolean({ description: 'Online orders are fulfilled from the locations that sell online' }),
  onlinePriority: Type.Integer({ description: 'Which online location fulfils an order first: lowest first' }),
  createdAt: Type.String({ format: 'date-time' }),
})

export const CreateLocationBody = Type.Object(
  {
    code: Text({ pattern: '^[A-Za-z0-9_-]{1,32}$' }),
    name: Text({ minLength: 1, maxLength: 200 }),
    kind: Type.Optional(LocationKind),
    allowNegativeStock: Type.Optional(Type.Boolean()),
    sellsOnline: Type.Optional(Type.Boolean({ description: 'Fulfil online orders from here (default false)' })),
    onlinePriority: Type.Optional(
      Type.Integer({ minimum: -1000000, maximum: 1000000, description: 'Among online locations, lowest first (default 0)' }),
    ),
  },
  { additionalProperties: false },
)

export const UpdateLocationBody = Type.Object(
  {
    name: Type.Optional(Text({ minLength: 1, maxLength: 200 })),
    kind: Type.Optional(LocationKind),
    allowNegativeStock: Type.Optional(Type.Boolean()),
    sellsOnline: Type.Optional(Type.Boolean({ description: 'Fulfil online orders from here (default false)' })),
    onlinePriority: Type.Optional(
      Type.Integer({ minimum: -1000000, maximum: 1000000, description: 'Among online locations, lowest first (default 0)' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const StockQuery = Type.Object(
  {
    ...PageQuery,
    productId: Type.Optional(Type.Array(Id, { maxItems: 500 })),
  },
  { additionalProperties: false },
)

export const StockPage = Page(
  Type.Object({
    productId: Type.Integer(),
    sku: Type.String(),
    name: Type.String(),
    unit: Type.String(),
    quantity: DecimalOutput,
    updatedAt: Type.String({ format: 'date-time' }),
  }),
)

const StockReason = Type.Enum(STOCK_REASONS, { description: 'Why the stock moved' })

export const LedgerQuery = Type.Object(
  {
    limit: PageQuery.limit,
    before: Type.Optional(
      Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Return entries older than this id (keyset pagination)' }),
    ),
    productId: Type.Optional(Id),
    reason: Type.Optional(StockReason),
  },
  { additionalProperties: false },
)

export const LedgerPage = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.Integer(),
      locationId: Type.Integer(),
      productId: Type.Integer(),
      delta: DecimalOutput,
      reason: StockReason,
      reference: Type.Union([Type.String(), Type.Null()]),
      tokenId: Type.Union([Type.Integer(), Type.Null()]),
      createdAt: Type.String({ format: 'date-time' }),
    }),
  ),
  nextBefore: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Pass as `before` to get the next (older) page; null on the last page',
  }),
})
