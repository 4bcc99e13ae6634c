import { Type } from 'typebox'
import { CalendarDate, DecimalOutput, Id, Text } from '../../infra/http/schemas.ts'
import { MoneyOutput as Money } from '../catalog/index.ts'

const DateString = CalendarDate('A local date, e.g. 2026-01-31')
/** A name, not an offset: PostgreSQL reads "+01:00" the POSIX way, as one hour west of UTC. */
const TimeZone = Type.Optional(
  Text({
    minLength: 1,
    maxLength: 64,
    pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$',
    description: 'IANA time zone of the dates, such as Europe/Paris (default UTC)',
  }),
)

const channel = (description: string) => Type.Union([Type.Literal('pos'), Type.Literal('online')], { description })
const ChannelQuery = Type.Optional(
  channel("Only the sales of this channel: 'pos' (the tills' invoices) or 'online' (orders); default both, summed"),
)
const ChannelAsked = Type.Union([channel("'pos' (the tills' invoices) or 'online' (orders)"), Type.Null()], {
  description: 'The channel asked for; null: both, summed',
})

export const HourlySalesQuery = Type.Object(
  { locationId: Id, date: DateString, timeZone: TimeZone, channel: ChannelQuery },
  { additionalProperties: false },
)

const HourFigures = {
  invoices: Type.Integer({ description: 'Invoices submitted (pos) and orders placed (online), minus those cancelled' }),
  returns: Type.Integer(),
  netAmount: Money,
  taxAmount: Money,
  totalAmount: Money,
  discountAmount: Money,
}
const ChannelFigures = Type.Object(HourFigures)

export const HourlySales = Type.Object({
  locationId: Type.Integer(),
  date: Type.String(),
  timeZone: Type.String(),
  channel: ChannelAsked,
  hours: Type.Array(
    Type.Object({
      hour: Type.String({
        format: 'date-time',
        description: "Start of the hour on the location's clock, with the offset of that moment",
        examples: ['2026-11-22T09:00:00+01:00'],
      }),
      hourUtc: Type.String({ format: 'date-time', description: 'The same instant in UTC' }),
      ...HourFigures,
      byChannel: Type.Object(
        { pos: ChannelFigures, online: ChannelFigures },
        {
          description:
            "The hour's figures by channel, till (pos) and web (online) sales; they sum to the hour's own. With `channel` " +
            'given, the other channel shows zeros.',
        },
      ),
    }),
  ),
})

export const TopProductsQuery = Type.Object(
  {
    locationId: Id,
    from: DateString,
    to: Type.Optional(DateString),
    timeZone: TimeZone,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
    by: Type.Optional(Type.Union([Type.Literal('total'), Type.Literal('quantity')])),
    channel: ChannelQuery,
  },
  { additionalProperties: false },
)

export const TopProducts = Type.Object({
  locationId: Type.Integer(),
  from: Type.String(),
  to: Type.String(),
  timeZone: Type.String(),
  by: Type.String(),
  channel: ChannelAsked,
  items: Type.Array(
    Type.Object({
      productId: Type.Integer(),
      sku: Type.String(),
      name: Type.String(),
      quantity: DecimalOutput,
      netAmount: Money,
      taxAmount: Money,
      totalAmount: Money,
    }),
  ),
})
