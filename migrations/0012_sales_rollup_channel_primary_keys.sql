-- The channel joins the rollups' primary keys, each swap a short lock on an index built by 0011.
-- Servers of the previous release upsert on the old keys: their rollup writes (and so their sales,
-- which are one statement) fail from here until they run this release — migrate, then restart.
set lock_timeout = '2s';

alter table sales_rollup_hour validate constraint sales_rollup_hour_channel_check;
alter table sales_rollup_product_hour validate constraint sales_rollup_product_hour_channel_check;
alter table sales_rollup_hour drop constraint sales_rollup_hour_pkey;
-- brisk:allow add-unique-constraint because 0011 built the index concurrently; USING INDEX only attaches it
alter table sales_rollup_hour add constraint sales_rollup_hour_pkey primary key using index sales_rollup_hour_channel_key;
alter table sales_rollup_product_hour drop constraint sales_rollup_product_hour_pkey;
-- brisk:allow add-unique-constraint because 0011 built the index concurrently; USING INDEX only attaches it
alter table sales_rollup_product_hour add constraint sales_rollup_product_hour_pkey
  primary key using index sales_rollup_product_hour_channel_key;
