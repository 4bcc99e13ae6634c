-- brisk:no-transaction
-- The rollups' keys with the channel, built without blocking the tills; 0012 makes them the primary keys.
set lock_timeout = '2s';

create unique index concurrently if not exists sales_rollup_hour_channel_key
  on sales_rollup_hour (location_id, bucket, channel, shard);
create unique index concurrently if not exists sales_rollup_product_hour_channel_key
  on sales_rollup_product_hour (location_id, bucket, channel, product_id);
