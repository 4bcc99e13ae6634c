-- Generated from src/modules/access/access.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- insertToken
insert into "api_token" ("name", "role", "token_hash", "location_ids") values ($1, $2, $3, $4) returning "id", "name", "role", "location_ids", "created_at";

-- findActiveTokenByHash
select "id", "name", "role", "location_ids" from "api_token" where "token_hash" = $1 and "revoked_at" is null;

-- listTokens
select "id", "name", "role", "location_ids", "created_at", "revoked_at" from "api_token" order by "id";

-- revokeToken
update "api_token" set "revoked_at" = $1 where "id" = $2 and "revoked_at" is null returning "id";

-- findLocationIdsByCode
select "id", "code" from "location" where "code" in ($1);
