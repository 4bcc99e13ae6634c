/**
 * The statements of the staff's order lifecycle: the order locked and read whole, then each change
 * — pay, fulfil, complete, cancel, a return — written in ONE statement with its history row and,
 * for a cancel or a return, the stock coming back with its ledger rows and the rollups reduced.
 */
import { type RawBuilder, sql, type Transaction } from 'kysely'
import { columnList, unnestRows } from '../../infra/db/columns.ts'
import type { Database, Executor } from '../../infra/db/database.ts'
import { refuseShortStock, STOCK_CTE, stockMovementCtes } from '../inventory/index.ts'
import { salesRollupCtes } from '../reporting/index.ts'
import { type OrderRecord, orderColumns } from './orders.records.ts'
import { type NewOrderReturnLine, ORDER_RETURN_LINE_VALUES, type OrderStatus } from './orders.tables.ts'

/** One change in an order's history. */
export interface OrderEventRecord {
  at: Date | string
  kind: string
  from_status: OrderStatus | null
  to_status: OrderStatus | null
  actor: string
  detail: unknown
}

export interface OrderWithHistory extends OrderRecord {
  /** oldest first */
  history: OrderEventRecord[]
}

export interface LockedOrderRecord extends OrderWithHistory {
  /** the transaction's time: every change of the transaction is stamped with it */
  now: Date
  /** the id the return about to be written takes (only for a return) */
  return_id: number | null
  /** whether the location the goods come back to exists (only for a return) */
  return_location_exists: boolean | null
}

/** Only the orders of these locations; undefined: every location. */
export type LocationScope = readonly number[] | undefined

const inScope = (scope: LocationScope) => (scope === undefined ? sql`true` : sql`o.location_id = any(${[...scope]}::bigint[])`)

/** The order's history, oldest first, as a JSON array. */
const historyColumn = sql`coalesce((
    select json_agg(json_build_object('at', e.at, 'kind', e.kind, 'from_status', e.from_status,
      'to_status', e.to_status, 'actor', e.actor, 'detail', e.detail) order by e.id)
    from online_order_event e where e.order_id = o.id), '[]') as history`

/**
 * Locks the order row and reads it with its lines, returns and history, when it is in `scope`.
 * Every staff writer of an order takes this lock first, so changes of one order serialize. For a
 * return (`returnTo`: where the goods come back; null: the order's location) the id of the return about to be written is taken
 * too, so the response is whole before the write, and whether that location exists is read.
 */
export async function lockOrder(
  trx: Transaction<Database>,
  id: number,
  scope: LocationScope,
  returnTo: { locationId: number | null } | null = null,
): Promise<LockedOrderRecord | undefined> {
  const forReturn = returnTo
    ? sql`nextval(pg_get_serial_sequence('online_order_return', 'id')) as return_id,
        exists (select 1 from location where id = coalesce(${returnTo.locationId}::bigint, o.location_id)) as return_location_exists`
    : sql`null::bigint as return_id, null::boolean as return_location_exists`
  const { rows } = await sql<LockedOrderRecord>`/* prepared */
    select ${orderColumns}, ${historyColumn}, now() as now, ${forReturn}
    from online_order o where o.id = ${id} and ${inScope(scope)} for update of o`.execute(trx)
  return rows[0]
}

/** The order with its lines, returns and history, when it is in `scope`: one statement. */
export async function findOrderWithHistory(
  db: Executor,
  id: number,
  scope: LocationScope,
): Promise<OrderWithHistory | undefined> {
  const { rows } = await sql<OrderWithHistory>`
    select ${orderColumns}, ${historyColumn} from online_order o where o.id = ${id} and ${inScope(scope)}`.execute(db)
  return rows[0]
}

/** A history row: who changed the order from which state to which, and the detail of it. */
export interface NewOrderEvent {
  kind: string
  from: OrderStatus
  to: OrderStatus
  /** 'token:<id>' or 'system' */
  actor: string
  detail: Record<string, unknown>
}

/** What the order row takes on a change; the columns a change does not name stay as they are. */
export interface OrderChange {
  orderId: number
  at: Date
  status: OrderStatus
  paidTotal?: string
  refundedTotal?: string
  trackingReference?: string
  /** the moment column the change stamps with `at` */
  stamp: 'paid_at' | 'fulfilled_at' | 'completed_at' | 'cancelled_at'
  event: NewOrderEvent
  storeResponse: RawBuilder<unknown> | null
  /** a cancel: the stock back to the order's location, the sale out of the rollups of the order's time */
  cancel: { locationId: number; createdAt: Date; subtotal: string; taxTotal: string; goodsTotal: string; tokenId: number | null } | null
}

const andCte = (cte: RawBuilder<unknown> | null) => (cte ? sql`, ${cte}` : sql``)

const eventCte = (orderId: number, at: Date, event: NewOrderEvent) => sql`event as (
      insert into online_order_event (order_id, at, kind, from_status, to_status, actor, detail)
      values (${orderId}::bigint, ${at}::timestamptz, ${event.kind}, ${event.from}, ${event.to}, ${event.actor},
        ${JSON.stringify(event.detail)}::jsonb)
    )`

/** The order's lines as the stock and rollup fragments want them, signed. */
const orderLinesOf = (orderId: number) =>
  sql`select product_id, base_quantity, net_amount, tax_amount, total_amount from online_order_line where order_id = ${orderId}`

function cancelCtes(orderId: number, cancel: NonNullable<OrderChange['cancel']>): RawBuilder<unknown> {
  const lines = orderLinesOf(orderId)
  const stock = stockMovementCtes(
    sql`select ${cancel.locationId}::bigint, l.product_id, l.base_quantity, 'cancel'::text from (${lines}) as l`,
    { reference: `online_order:${orderId}:cancel`, tokenId: cancel.tokenId },
  )
  // the sale leaves the rollups of the quarter hour it was placed in
  const rollups = salesRollupCtes(
    {
      locationId: cancel.locationId,
      channel: 'online',
      at: cancel.createdAt,
      invoiceId: orderId,
      invoices: -1,
      returns: 0,
      netAmount: `-${cancel.subtotal}`,
      taxAmount: `-${cancel.taxTotal}`,
      totalAmount: `-${cancel.goodsTotal}`,
      discountAmount: '0',
      products: sql`select l.product_id, -l.base_quantity, -l.net_amount, -l.tax_amount, -l.total_amount from (${lines}) as l`,
    },
    { after: STOCK_CTE.applied },
  )
  return sql`, ${stock}, ${rollups}`
}

/** Changes the order's state with its history row (and, for a cancel, its stock and rollups): one statement. */
export async function changeOrder(trx: Transaction<Database>, change: OrderChange): Promise<void> {
  const sets: RawBuilder<unknown>[] = [sql`status = ${change.status}`, sql`updated_at = ${change.at}::timestamptz`]
  sets.push(sql`${sql.ref(change.stamp)} = ${change.at}::timestamptz`)
  if (change.paidTotal !== undefined) sets.push(sql`paid_total = ${change.paidTotal}::numeric`)
  if (change.refundedTotal !== undefined) sets.push(sql`refunded_total = ${change.refundedTotal}::numeric`)
  if (change.trackingReference !== undefined) sets.push(sql`tracking_reference = ${change.trackingReference}`)
  await sql`/* prepared */
    with ${eventCte(change.orderId, change.at, change.event)}${andCte(change.storeResponse)}${
      change.cancel ? cancelCtes(change.orderId, change.cancel) : sql``
    }
    update online_order set ${sql.join(sets)}
    where id = ${change.orderId}
    returning ${change.cancel ? sql`${refuseShortStock}` : sql`true`} as stock_ok`.execute(trx)
}

export interface NewOrderReturn {
  /** taken by lockOrder */
  id: number
  orderId: number
  locationId: number
  reason: string | null
  netAmount: string
  taxAmount: string
  totalAmount: string
  tokenId: number | null
  lines: readonly NewOrderReturnLine[]
  at: Date
  event: NewOrderEvent
  storeResponse: RawBuilder<unknown> | null
}

/**
 * Records a return: the return and its lines, what each order line has had returned, the refund on
 * the order, its history row, the stock coming back with its ledger rows, and the rollups of the
 * return's quarter hour reduced (channel 'online', the order's shard): one statement.
 */
export async function insertOrderReturn(trx: Transaction<Database>, values: NewOrderReturn): Promise<void> {
  const input = sql`select product_id, base_quantity, net_amount, tax_amount, total_amount from input`
  await sql`/* prepared */
    with ret as (
      -- the return itself, with the id its response already names
      insert into online_order_return (id, order_id, location_id, reason, net_amount, tax_amount, total_amount, token_id, created_at)
      overriding system value
      values (${values.id}::bigint, ${values.orderId}::bigint, ${values.locationId}::bigint, ${values.reason},
        ${values.netAmount}::numeric, ${values.taxAmount}::numeric, ${values.totalAmount}::numeric, ${values.tokenId}::bigint,
        ${values.at}::timestamptz)
      returning id
    ), input as (
      -- the returned lines, sent as one array per column
      select * from ${unnestRows(ORDER_RETURN_LINE_VALUES, values.lines, { alias: 't' })}
    ), return_lines as (
      insert into online_order_return_line (return_id, ${columnList(ORDER_RETURN_LINE_VALUES)})
      select ret.id, ${columnList(ORDER_RETURN_LINE_VALUES, 't')}
      from ret cross join input t order by t.order_line_id
    ), lines as (
      -- what each line has had returned so far: its CHECK refuses more than was ordered
      update online_order_line l
      set returned_quantity = l.returned_quantity + t.quantity, returned_net = l.returned_net + t.net_amount,
        returned_tax = l.returned_tax + t.tax_amount
      from input t where l.id = t.order_line_id and l.order_id = ${values.orderId}
    ), ord as (
      -- the refund: its CHECK refuses more than was paid
      update online_order set refunded_total = refunded_total + ${values.totalAmount}::numeric, updated_at = ${values.at}::timestamptz
      where id = ${values.orderId}
    ), ${eventCte(values.orderId, values.at, values.event)}${andCte(values.storeResponse)}, ${stockMovementCtes(
      sql`select ${values.locationId}::bigint, t.product_id, t.base_quantity, 'return'::text from input t`,
      { reference: `online_order:${values.orderId}:return:${values.id}`, tokenId: values.tokenId },
    )}, ${salesRollupCtes(
      {
        locationId: values.locationId,
        channel: 'online',
        at: values.at,
        invoiceId: values.orderId,
        invoices: 0,
        returns: 1,
        netAmount: `-${values.netAmount}`,
        taxAmount: `-${values.taxAmount}`,
        totalAmount: `-${values.totalAmount}`,
        discountAmount: '0',
        products: sql`select l.product_id, -l.base_quantity, -l.net_amount, -l.tax_amount, -l.total_amount from (${input}) as l`,
      },
      { after: STOCK_CTE.applied },
    )}
    select ${refuseShortStock} as stock_ok from ret`.execute(trx)
}
