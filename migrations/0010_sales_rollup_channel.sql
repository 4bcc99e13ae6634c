-- Sales rollups get a channel: 'pos' (the tills' invoices, every row so far) or 'online' (orders).
-- A constant default adds the column without rewriting the tables; the next two migrations put
-- the channel into the primary keys.
set lock_timeout = '2s';

alter table sales_rollup_hour add column channel text not null default 'pos';
alter table sales_rollup_product_hour add column channel text not null default 'pos';
alter table sales_rollup_hour add constraint sales_rollup_hour_channel_check check (channel in ('pos', 'online')) not valid;
alter table sales_rollup_product_hour add constraint sales_rollup_product_hour_channel_check
  check (channel in ('pos', 'online')) not valid;
