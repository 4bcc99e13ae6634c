-- Generated from src/modules/storefront/storefront.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- findVisitorSummaries
select v.id, c.name as customer_name, coalesce(n.lines, 0)::int as cart_lines
from unnest($1::text[], $2::text[], $3::text[])
  as v(id, session_hash, cart_hash)
left join customer_session s on s.token_hash = v.session_hash and s.revoked_at is null and s.expires_at > now()
left join customer c on c.id = s.customer_id
left join lateral (
  select count(*) as lines from cart_line l
  where l.cart_id = coalesce(
    (select k.id from cart k where k.token_hash = v.cart_hash and k.expires_at > now()),
    (select k.id from cart k where v.cart_hash is null and k.customer_id = c.id and k.expires_at > now())
  )
) n on true;
