/**
 * The storefront's one statement of its own: the page holes of many visitors at once. It reads the
 * customers' and the carts' tables (read-only, by the token hashes those modules store), because
 * going through both services would cost two statements per visitor instead of one per batch.
 */
import { sql } from 'kysely'
import type { Executor } from '../../infra/db/database.ts'

export interface VisitorKey {
  /** the cache id the row answers */
  id: string
  /** SHA-256 (hex) of the customer session token, as customer_session stores it */
  sessionHash: string | null
  /** SHA-256 (hex) of a guest cart token, as cart stores it */
  cartHash: string | null
}

export interface VisitorSummaryRow {
  id: string
  /** null: no live session (none, expired or revoked) */
  customer_name: string | null
  cart_lines: number
}

/**
 * ONE statement for any number of visitors: the signed-in customer's name (a live session only) and
 * the line count of the visitor's live cart: the guest cart's token wins, else the customer's cart.
 */
export async function findVisitorSummaries(db: Executor, keys: readonly VisitorKey[]): Promise<VisitorSummaryRow[]> {
  const { rows } = await sql<VisitorSummaryRow>`
    select v.id, c.name as customer_name, coalesce(n.lines, 0)::int as cart_lines
    from unnest(${keys.map((k) => k.id)}::text[], ${keys.map((k) => k.sessionHash)}::text[], ${keys.map((k) => k.cartHash)}::text[])
      as v(id, session_hash, cart_hash)
    left join customer_session s on s.token_hash = v.session_hash and s.revoked_at is null and s.expires_at > now()
    left join customer c on c.id = s.customer_id
    left join lateral (
      select count(*) as lines from cart_line l
      where l.cart_id = coalesce(
        (select k.id from cart k where k.token_hash = v.cart_hash and k.expires_at > now()),
        (select k.id from cart k where v.cart_hash is null and k.customer_id = c.id and k.expires_at > now())
      )
    ) n on true`.execute(db)
  return rows
}
