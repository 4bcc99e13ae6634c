import { sql } from 'kysely'
import type { Db } from '../../infra/db/database.ts'

/** What must hold after both variants ran, whatever the machine's speed: every number here is 0. */
export interface Checks {
  /** units by which the location's stock levels and ledger sums disagree */
  stockDrift: number
  /** orders (and net) the online rollups miss or count twice, against a recount from the orders */
  rollupOrdersOff: number
  rollupNetOff: number
  /** orders whose status has no history row that led to it */
  ordersWithoutEvent: number
}

export async function checkShop(db: Db, locationId: number): Promise<Checks> {
  const { rows } = await sql<{ stock: string; orders: string; net: string; events: string }>`
    select
      (select coalesce(sum(abs(s.quantity - coalesce(l.total, 0))), 0)
        from stock_level s
        left join (select product_id, sum(delta) as total from stock_ledger where location_id = ${locationId} group by product_id) l
          on l.product_id = s.product_id
        where s.location_id = ${locationId})::text as stock,
      ((select coalesce(sum(invoices), 0) from sales_rollup_hour where location_id = ${locationId} and channel = 'online')
        - (select count(*) from online_order where location_id = ${locationId}))::text as orders,
      ((select coalesce(sum(net_amount), 0) from sales_rollup_hour where location_id = ${locationId} and channel = 'online')
        - (select coalesce(sum(subtotal), 0) from online_order where location_id = ${locationId}))::text as net,
      (select count(*) from online_order o where o.location_id = ${locationId}
        and not exists (select 1 from online_order_event e where e.order_id = o.id and e.to_status = o.status))::text as events`.execute(db.primary)
  const row = rows[0]!
  return { stockDrift: Number(row.stock), rollupOrdersOff: Number(row.orders), rollupNetOff: Number(row.net), ordersWithoutEvent: Number(row.events) }
}
