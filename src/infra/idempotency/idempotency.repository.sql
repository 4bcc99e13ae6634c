-- Generated from src/infra/idempotency/idempotency.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- storeResponseCte
idempotent_response as (
  -- what a retry with the same Idempotency-Key gets back, committed with the write itself
  update idempotency_key set response = $1::jsonb where id = $2
);

-- storeResponse
update "idempotency_key" set "response" = $1 where "id" = $2;

-- findIdempotencyKey
select "id", "operation", "request_hash", "response" from "idempotency_key" where "scope" = $1 and "key" = $2;

-- claimUnexpiredIdempotencyKey
insert into idempotency_key (scope, key, operation, request_hash)
values ($1, $2, $3, $4)
on conflict (scope, key) do update
set operation = excluded.operation, request_hash = excluded.request_hash, response = null, created_at = now()
where idempotency_key.created_at < now() - make_interval(hours => $5::integer)
returning id;

-- deleteExpiredIdempotencyKeys
delete from idempotency_key
where id in (select id from idempotency_key where created_at < $1 order by id limit $2)
  and created_at < $3;

-- claimWithResponseCte
with claim as (
  -- the Idempotency-Key with the response a retry gets, committed with the write itself
  insert into idempotency_key as k (scope, key, operation, request_hash, response)
  select $1, $2, $3, $4, jsonb_set($5::jsonb, '{locationId}', to_jsonb(1))
  where true
  on conflict (scope, key) do update
  set operation = excluded.operation, request_hash = excluded.request_hash, response = excluded.response, created_at = now()
  where k.created_at < now() - make_interval(hours => $6::integer)
  returning k.id
) select id from claim;
