-- Generated from src/modules/access/access.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- insertToken
insert into "api_token" ("name", "role", "token_hash", "location_ids") values ($1, $2, $3, $4) returning "id", "name", "role", "location_ids", "created_at";

-- findActiveTokensByHash
select "id", "token_hash", "name", "role", "location_ids" from "api_token" where "token_hash" = any($1) and "revoked_at" is null;

-- listTokens
select "t"."id", "t"."name", "t"."role", "t"."location_ids", case when t.location_ids is null then null
else array(select l.code from location l where l.id = any(t.location_ids) order by l.id) end as "location_codes", "t"."created_at", "t"."revoked_at" from "api_token" as "t" where "t"."id" > $1 order by "t"."id" limit $2;

-- revokeToken
with "revoked" as (update "api_token" set "revoked_at" = coalesce(revoked_at, now()) where "id" = $1 returning "id", "token_hash", "name", "role", "location_ids", "created_at", "revoked_at") select "t"."id", "t"."token_hash", "t"."name", "t"."role", "t"."location_ids", case when t.location_ids is null then null
else array(select l.code from location l where l.id = any(t.location_ids) order by l.id) end as "location_codes", "t"."created_at", "t"."revoked_at" from "revoked" as "t";

-- findLocationIdsByCode
select "id", "code" from "location" where "code" in ($1);
