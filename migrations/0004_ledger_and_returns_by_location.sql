-- brisk:no-transaction
-- The stock ledger is read newest first per location (any product), and returns are listed per
-- location: both walk these indexes backwards or forwards instead of sorting a location's rows.
set lock_timeout = '2s';
create index concurrently if not exists stock_ledger_location_id_idx on stock_ledger (location_id, id);
create index concurrently if not exists sales_return_location_idx on sales_return (location_id, id);
