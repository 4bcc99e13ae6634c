import { Type } from 'typebox'
import { BatchLogOutput, MAX_BATCH_PAGE } from '../../infra/batch-log/batch-log.ts'
import { MONEY_LIMITS, UNIT_PRICE_LIMITS } from '../../infra/decimal.ts'
import { DateOrTimestamp, Decimal, Id, Text } from '../../infra/http/schemas.ts'
import { MoneyOutput, UnitPriceOutput } from '../catalog/index.ts'
import { ShippingAddressBody } from '../customers/index.ts'
import { CART_QUANTITY_LIMITS } from './orders.carts.ts'
import { ORDER_STATUSES } from './orders.tables.ts'

const MAX_LINES = 2000
const Timestamp = Type.String({ format: 'date-time' })

/** Above zero already in the schema (a 400); scale and the upper limit are the service's (a 422). */
const Quantity = Type.Union(
  [Type.String({ pattern: '^(?=.*[1-9])\\d{1,14}(\\.\\d{1,9})?$' }), Type.Number({ exclusiveMinimum: 0 })],
  {
    description: `How many of \`unit\`; a JSON number or a decimal string above zero, at most ${CART_QUANTITY_LIMITS.scale} decimals, at most ${CART_QUANTITY_LIMITS.max}`,
    'x-decimal': CART_QUANTITY_LIMITS,
  },
)

export const CartTokenHeaders = Type.Object({
  'brisk-cart-token': Type.Optional(
    Text({ maxLength: 100, description: "A guest cart's token (from POST /api/store/carts); never in the URL, which is logged" }),
  ),
})

/** Lines to put in a cart: a product (by id or SKU) in a unit it is sold in. */
const CartLinesToAdd = Type.Array(
  Type.Object(
    {
      productId: Type.Optional(Id),
      sku: Type.Optional(Text({ minLength: 1, maxLength: 64 })),
      unit: Type.Optional(Text({ minLength: 1, maxLength: 32, description: "Default: the product's base unit" })),
      quantity: Quantity,
    },
    { additionalProperties: false },
  ),
  { maxItems: MAX_LINES },
)

export const UpdateCartBody = Type.Object(
  {
    add: Type.Optional(CartLinesToAdd),
    change: Type.Optional(
      Type.Array(Type.Object({ lineId: Id, quantity: Quantity }, { additionalProperties: false }), { maxItems: MAX_LINES }),
    ),
    remove: Type.Optional(Type.Array(Id, { maxItems: MAX_LINES })),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const CreateCartBody = Type.Object({ add: CartLinesToAdd }, { additionalProperties: false })

export const Cart = Type.Object(
  {
    lines: Type.Array(
      Type.Object({
        id: Type.Integer(),
        productId: Type.Integer(),
        sku: Type.String(),
        name: Type.String(),
        unit: Type.String(),
        quantity: Type.String({ description: 'An exact decimal, in `unit`' }),
        unitPrice: UnitPriceOutput,
        taxRate: Type.String({ description: 'Percent' }),
        netAmount: MoneyOutput,
        taxAmount: MoneyOutput,
        total: MoneyOutput,
      }),
    ),
    subtotal: MoneyOutput,
    taxTotal: MoneyOutput,
    total: MoneyOutput,
    unavailable: Type.Array(
      Type.Object({
        id: Type.Integer(),
        productId: Type.Integer(),
        unit: Type.String(),
        quantity: Type.String(),
        reason: Type.Union([Type.Literal('no_longer_sold'), Type.Literal('unit_not_sold')]),
      }),
      { description: 'Lines the shop no longer sells as they are: out of the totals; checkout refuses the cart until they are removed' },
    ),
    expiresAt: Timestamp,
    updatedAt: Timestamp,
  },
  { description: "A cart at today's catalog prices (exact decimals; tax per line, rounded half-up)" },
)

export const CreatedCart = Type.Object({
  token: Type.Union([Type.String({ description: 'Send as the Brisk-Cart-Token header; shown in this answer only' }), Type.Null()], {
    description: "A guest cart's token; null for a signed-in customer's cart, found by the session",
  }),
  cart: Cart,
})

const MAX_RATES = 300
const ShippingCode = Text({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$', description: "Stable, lower case: 'standard', 'express'" })
const ShippingName = Text({ minLength: 1, maxLength: 200 })
const Position = Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, description: 'Display order, lowest first' })
const Country = Text({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2, upper case' })

const ShippingRateInput = Type.Object(
  {
    country: Text({ pattern: '^([A-Z]{2}|\\*)$', description: "ISO 3166-1 alpha-2, or '*' for every country without a rate of its own" }),
    price: Decimal(MONEY_LIMITS, 'The flat shipping price'),
    freeOver: Type.Optional(
      Type.Union([Decimal(MONEY_LIMITS, "Free when the cart's total before shipping is at least this"), Type.Null()]),
    ),
  },
  { additionalProperties: false },
)
const ShippingRates = Type.Array(ShippingRateInput, { maxItems: MAX_RATES })

export const CreateShippingMethodBody = Type.Object(
  { code: ShippingCode, name: ShippingName, active: Type.Optional(Type.Boolean()), position: Type.Optional(Position), rates: ShippingRates },
  { additionalProperties: false },
)

export const UpdateShippingMethodBody = Type.Object(
  {
    name: Type.Optional(ShippingName),
    active: Type.Optional(Type.Boolean()),
    position: Type.Optional(Position),
    rates: Type.Optional({ ...ShippingRates, description: "The method's rates as a set: countries not named lose theirs" }),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const ShippingMethod = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  active: Type.Boolean(),
  position: Type.Integer(),
  rates: Type.Array(Type.Object({ country: Type.String(), price: MoneyOutput, freeOver: Type.Union([MoneyOutput, Type.Null()]) })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

export const ShippingMethodList = Type.Object({ items: Type.Array(ShippingMethod) })

export const ShippingOptionsQuery = Type.Object({ country: Country }, { additionalProperties: false })

export const ShippingOptionList = Type.Object({
  items: Type.Array(
    Type.Object({
      code: Type.String(),
      name: Type.String(),
      price: { ...MoneyOutput, description: "What shipping costs with this cart: 0.00 when it is free" },
      freeOver: Type.Union([MoneyOutput, Type.Null()], { description: 'The threshold; null when the method is never free' }),
      free: Type.Boolean(),
    }),
  ),
})

const Email = Text({ format: 'email', minLength: 3, maxLength: 254 })

export const PlaceOrderBody = Type.Object(
  {
    email: Type.Optional({ ...Email, description: "Where the order's mail goes: needed for a guest; a customer's account email by default" }),
    shippingAddress: ShippingAddressBody,
    shippingMethod: Text({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$', description: 'The code of a shipping method serving the address' }),
    payment: Type.Object(
      {
        provider: Text({
          pattern: '^[a-z0-9_-]{1,32}$',
          description: "'manual' (pay on delivery or by transfer: placed unpaid) or 'test' (the card simulator)",
        }),
        card: Type.Optional(
          Type.Object(
            { number: Text({ pattern: '^[0-9 -]{12,23}$', description: 'For `test`: 4242424242424242 approves, 4000000000000002 declines, 4000000000000119 times out' }) },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    expectedTotal: Decimal(MONEY_LIMITS, 'The total the shopper was shown (goods + shipping): a different total now is a 409 with the new one'),
  },
  { additionalProperties: false },
)

export const OrderStatus = Type.Enum(ORDER_STATUSES)
const Moment = Type.Union([Timestamp, Type.Null()])

export const Order = Type.Object(
  {
    id: Type.Integer(),
    status: OrderStatus,
    source: Type.String({ description: "'store', or 'marketplace:<name>' for an imported order" }),
    externalRef: Type.Union([Type.String(), Type.Null()]),
    customerId: Type.Union([Type.Integer(), Type.Null()], { description: "null for a guest's order" }),
    email: Type.String(),
    locationId: Type.Integer({ description: 'The location the stock was taken from' }),
    shippingMethod: Type.Union([Type.Object({ id: Type.Union([Type.Integer(), Type.Null()]), name: Type.String() }), Type.Null()]),
    shippingAddress: Type.Unknown({ description: 'As it was at checkout' }),
    lines: Type.Array(
      Type.Object({
        id: Type.Integer(),
        productId: Type.Integer(),
        sku: Type.String(),
        name: Type.String(),
        unit: Type.String(),
        quantity: Type.String(),
        unitPrice: UnitPriceOutput,
        taxRate: Type.String({ description: 'Percent' }),
        netAmount: MoneyOutput,
        taxAmount: MoneyOutput,
        total: MoneyOutput,
        returnedQuantity: Type.String(),
      }),
    ),
    subtotal: MoneyOutput,
    taxTotal: MoneyOutput,
    shippingTotal: MoneyOutput,
    total: { ...MoneyOutput, description: 'Lines (net + tax) + shipping' },
    paymentProvider: Type.String(),
    paymentReference: Type.Union([Type.String(), Type.Null()]),
    paidTotal: MoneyOutput,
    refundedTotal: MoneyOutput,
    trackingReference: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp,
    paidAt: Moment,
    fulfilledAt: Moment,
    completedAt: Moment,
    cancelledAt: Moment,
  },
  { description: 'An online order (exact decimals)' },
)

export const OrderList = Type.Object({
  items: Type.Array(Order),
  nextBefore: Type.Union([Type.Integer(), Type.Null()], { description: 'Pass as `before` for the next (older) page; null on the last' }),
})

/** Staff: the order lifecycle (pay, fulfil, complete, cancel), returns, and the staff's reads. */
export const MAX_STAFF_PAGE = 200

export const ListStaffOrdersQuery = Type.Object(
  {
    status: Type.Optional(OrderStatus),
    locationId: Type.Optional({ ...Id, description: 'Orders fulfilled from this location (one of the token\'s)' }),
    from: Type.Optional(DateOrTimestamp('Orders placed at or after this')),
    to: Type.Optional(DateOrTimestamp('Orders placed before this')),
    before: Type.Optional({ ...Id, description: 'Orders with ids below this: `nextBefore` of the previous page' }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_STAFF_PAGE, default: 50 })),
  },
  { additionalProperties: false },
)

export const FulfilOrderBody = Type.Object(
  { trackingReference: Text({ minLength: 1, maxLength: 100, description: "The carrier's tracking reference of the parcel" }) },
  { additionalProperties: false },
)

export const CancelOrderBody = Type.Object(
  { reason: Type.Optional(Text({ minLength: 1, maxLength: 500, description: 'Kept in the order\'s history' })) },
  { additionalProperties: false },
)

export const OrderReturnBody = Type.Object(
  {
    lines: Type.Array(Type.Object({ lineId: Id, quantity: Quantity }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: MAX_LINES,
      description: "Order lines and how many of each line's unit come back; a line named twice is returned once, summed",
    }),
    locationId: Type.Optional({ ...Id, description: "Where the goods come back; default: the location the order was fulfilled from" }),
    reason: Type.Optional(Text({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
)

export const OrderReturn = Type.Object({
  id: Type.Integer(),
  locationId: Type.Integer(),
  reason: Type.Union([Type.String(), Type.Null()]),
  lines: Type.Array(
    Type.Object({
      lineId: Type.Integer(),
      productId: Type.Integer(),
      quantity: Type.String({ description: "In the order line's unit" }),
      baseQuantity: Type.String({ description: "In the product's base unit: what came back to stock" }),
      netAmount: MoneyOutput,
      taxAmount: MoneyOutput,
      total: MoneyOutput,
    }),
  ),
  netAmount: MoneyOutput,
  taxAmount: MoneyOutput,
  total: { ...MoneyOutput, description: 'Refunded to the shopper' },
  createdAt: Timestamp,
})

export const OrderEvent = Type.Object({
  at: Timestamp,
  kind: Type.String({ description: "'placed', 'paid', 'fulfilled', 'completed', 'cancelled', 'returned', 'imported'" }),
  from: Type.Union([OrderStatus, Type.Null()]),
  to: Type.Union([OrderStatus, Type.Null()]),
  actor: Type.String({ description: "'customer:<id>', 'guest', 'token:<id>' (staff) or 'system'" }),
  detail: Type.Unknown(),
})

export const StaffOrder = Type.Object(
  { ...Order.properties, returns: Type.Array(OrderReturn), history: Type.Array(OrderEvent, { description: 'Oldest first' }) },
  { description: 'An online order as staff see it: with its returns and its history' },
)

export const OrderReturnResult = Type.Object({ return: OrderReturn, order: StaffOrder })

// Batch order processing (orders.batch.ts)
const MAX_BATCH_ORDERS = 10_000
const BatchOrderId = { ...Id, description: 'An order id' }
const TrackingReference = Text({ minLength: 1, maxLength: 200 })

export const MarkOrdersPaidBody = Type.Object(
  { orderIds: Type.Array(BatchOrderId, { minItems: 1, maxItems: MAX_BATCH_ORDERS }) },
  { additionalProperties: false },
)

export const FulfilOrdersBody = Type.Object(
  {
    locationId: Id,
    orders: Type.Array(Type.Object({ orderId: BatchOrderId, trackingReference: TrackingReference }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: MAX_BATCH_ORDERS,
    }),
  },
  { additionalProperties: false },
)

const ImportedLine = Type.Object(
  {
    sku: Text({ minLength: 1, maxLength: 100 }),
    unit: Type.Optional(Text({ minLength: 1, maxLength: 50, description: "Default: the product's base unit" })),
    quantity: Quantity,
    unitPrice: Type.Optional(Decimal(UNIT_PRICE_LIMITS, "The marketplace's price of one unit before tax; default: the catalog's")),
  },
  { additionalProperties: false },
)

export const ImportOrdersBody = Type.Object(
  {
    source: Text({ pattern: '^marketplace:[a-z0-9_-]{1,32}$', description: "'marketplace:<name>'" }),
    locationId: { ...Id, description: 'Where the stock is taken from' },
    orders: Type.Array(
      Type.Object(
        {
          externalRef: Text({ minLength: 1, maxLength: 100, description: "The marketplace's order id: an order already imported is skipped" }),
          email: Email,
          shippingAddress: ShippingAddressBody,
          lines: Type.Array(ImportedLine, { minItems: 1, maxItems: MAX_LINES }),
          shippingTotal: Type.Optional(Decimal(MONEY_LIMITS, 'Default 0')),
          paid: Type.Optional(Type.Boolean({ description: 'The marketplace took the money: imported paid' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_BATCH_ORDERS },
    ),
  },
  { additionalProperties: false },
)

export const BatchResultOutput = Type.Object({
  batch: BatchLogOutput,
  results: Type.Array(
    Type.Object({
      row: Type.Integer({ description: 'Position in the request, from 0' }),
      orderId: Type.Union([Type.Integer(), Type.Null()]),
      externalRef: Type.Optional(Type.String()),
      status: Type.Optional(OrderStatus),
      error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) })),
    }),
  ),
})

export const BatchLogQuery = Type.Object(
  {
    operation: Type.Optional(Text({ maxLength: 100, description: "e.g. 'orders.mark-paid'" })),
    before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Batches older than this id' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_BATCH_PAGE, default: 50 })),
  },
  { additionalProperties: false },
)
