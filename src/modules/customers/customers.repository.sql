-- Generated from src/modules/customers/customers.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- insertCustomerWithSession
with "created" as (insert into "customer" ("email", "name", "password_hash") values ($1, $2, $3) on conflict (lower(email)) do nothing returning "id", "email", "name", "created_at", "updated_at"), "session" as (insert into "customer_session" ("customer_id", "token_hash", "expires_at") select "id", $4::text as "token_hash", $5::timestamptz as "expires_at" from "created" returning "id" as "session_id", "expires_at") select * from "created", "session";

-- findCustomerForSignIn
select "id", "email", "name", "created_at", "updated_at", "password_hash" from "customer" where lower(email) = lower($1);

-- insertSession
insert into "customer_session" ("customer_id", "token_hash", "expires_at") values ($1, $2, $3) returning "id", "expires_at";

-- findSessionCustomer
select "s"."id" as "session_id", "c"."id", "c"."email", "c"."name", "c"."created_at", "c"."updated_at" from "customer_session" as "s" inner join "customer" as "c" on "c"."id" = "s"."customer_id" where "s"."token_hash" = $1 and "s"."revoked_at" is null and "s"."expires_at" > now();

-- revokeSession
update "customer_session" set "revoked_at" = coalesce(revoked_at, now()) where "id" = $1;

-- revokeOtherSessions
update "customer_session" set "revoked_at" = now() where "customer_id" = $1 and "id" <> $2 and "revoked_at" is null;

-- lockCustomer
select "id" from "customer" where "id" = $1 for update;

-- findPasswordHash
select "password_hash" from "customer" where "id" = $1;

-- updateCustomer: name
update "customer" set "name" = $1, "updated_at" = now() where "id" = $2 returning "id", "email", "name", "created_at", "updated_at";

-- updateCustomer: password checked against the stored hash
update "customer" set "name" = $1, "password_hash" = $2, "updated_at" = now() where "id" = $3 and "password_hash" = $4 returning "id", "email", "name", "created_at", "updated_at";

-- replacePasswordHash
update "customer" set "password_hash" = $1 where "id" = $2 and "password_hash" = $3;

-- listAddresses
select "id", "label", "name", "line1", "line2", "city", "postal_code", "country", "phone", "is_default", "created_at" from "customer_address" where "customer_id" = $1 order by "id";

-- insertAddress
insert into "customer_address" ("label", "name", "line1", "line2", "city", "postal_code", "country", "phone", "is_default", "customer_id") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning "id", "label", "name", "line1", "line2", "city", "postal_code", "country", "phone", "is_default", "created_at";

-- updateAddress
update "customer_address" set "city" = $1, "country" = $2 where "id" = $3 and "customer_id" = $4 returning "id", "label", "name", "line1", "line2", "city", "postal_code", "country", "phone", "is_default", "created_at";

-- clearDefaultAddress
update "customer_address" set "is_default" = $1 where "customer_id" = $2 and "is_default" = $3 and "id" <> $4;

-- deleteAddress
delete from "customer_address" where "id" = $1 and "customer_id" = $2;
