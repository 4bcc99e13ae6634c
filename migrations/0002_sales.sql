-- POS sales: invoices (draft → submitted → cancelled), lines, payments, returns; idempotency keys
-- for retried writes; hourly sales rollups kept exact inside the sale transactions.
set lock_timeout = '5s';

-- Money is numeric(14,2), rounded half-up per line (see src/modules/sales/sales.pricing.ts);
-- invoice totals are exact sums of line amounts.
create table sales_invoice (
  id bigint generated always as identity primary key,
  location_id bigint not null references location (id),
  status text not null default 'draft' check (status in ('draft', 'submitted', 'cancelled')),
  note text,
  -- invoice-level discount as entered: a percent, or an amount when discount_percent is null
  discount_percent numeric(7, 4) check (discount_percent >= 0 and discount_percent <= 100),
  discount_amount numeric(14, 2) not null default 0 check (discount_amount >= 0),
  subtotal numeric(14, 2) not null default 0,
  line_discount_total numeric(14, 2) not null default 0,
  net_total numeric(14, 2) not null default 0,
  tax_total numeric(14, 2) not null default 0,
  total numeric(14, 2) not null default 0 check (total >= 0),
  paid_total numeric(14, 2) not null default 0 check (paid_total >= 0),
  change_due numeric(14, 2) not null default 0 check (change_due >= 0),
  returned_total numeric(14, 2) not null default 0 check (returned_total >= 0),
  line_count bigint not null default 0,
  created_by bigint references api_token (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  submitted_at timestamptz,
  cancelled_at timestamptz
);
create index sales_invoice_location_idx on sales_invoice (location_id, id);

create table sales_invoice_line (
  id bigint generated always as identity primary key,
  invoice_id bigint not null references sales_invoice (id) on delete cascade,
  position bigint not null,
  product_id bigint not null references product (id),
  sku text not null,
  name text not null,
  unit text not null,
  quantity numeric(20, 6) not null check (quantity > 0),
  factor numeric(20, 9) not null check (factor > 0),
  base_quantity numeric(20, 6) not null,
  -- price of one `unit`; catalog price × factor unless overridden
  unit_price numeric not null check (unit_price >= 0),
  price_overridden boolean not null default false,
  tax_rate numeric(6, 3) not null,
  gross_amount numeric(14, 2) not null,
  discount_percent numeric(7, 4) check (discount_percent >= 0 and discount_percent <= 100),
  discount_amount numeric(14, 2) not null default 0 check (discount_amount >= 0),
  invoice_discount_amount numeric(14, 2) not null default 0 check (invoice_discount_amount >= 0),
  net_amount numeric(14, 2) not null check (net_amount >= 0),
  tax_amount numeric(14, 2) not null,
  total_amount numeric(14, 2) not null,
  returned_quantity numeric(20, 6) not null default 0,
  returned_net numeric(14, 2) not null default 0,
  returned_tax numeric(14, 2) not null default 0,
  constraint sales_invoice_line_position_unique unique (invoice_id, position),
  constraint sales_invoice_line_returned_check check (returned_quantity >= 0 and returned_quantity <= quantity)
);

create table sales_payment (
  id bigint generated always as identity primary key,
  invoice_id bigint not null references sales_invoice (id) on delete cascade,
  method text not null check (method in ('cash', 'card', 'other')),
  -- what was applied to the invoice; for cash, tendered - change
  amount numeric(14, 2) not null check (amount >= 0),
  tendered numeric(14, 2) not null check (tendered >= 0),
  change numeric(14, 2) not null default 0 check (change >= 0),
  reference text,
  created_at timestamptz not null default now()
);
create index sales_payment_invoice_idx on sales_payment (invoice_id);

create table sales_return (
  id bigint generated always as identity primary key,
  invoice_id bigint not null references sales_invoice (id),
  location_id bigint not null references location (id),
  reason text,
  refund_method text not null check (refund_method in ('cash', 'card', 'other')),
  net_amount numeric(14, 2) not null,
  tax_amount numeric(14, 2) not null,
  total_amount numeric(14, 2) not null,
  token_id bigint references api_token (id),
  created_at timestamptz not null default now()
);
create index sales_return_invoice_idx on sales_return (invoice_id);

create table sales_return_line (
  id bigint generated always as identity primary key,
  return_id bigint not null references sales_return (id) on delete cascade,
  invoice_line_id bigint not null references sales_invoice_line (id),
  product_id bigint not null references product (id),
  quantity numeric(20, 6) not null check (quantity > 0),
  base_quantity numeric(20, 6) not null,
  net_amount numeric(14, 2) not null,
  tax_amount numeric(14, 2) not null,
  total_amount numeric(14, 2) not null
);
create index sales_return_line_return_idx on sales_return_line (return_id);

-- A retried write with the same key returns `response` instead of running again. The row is
-- written in the same transaction as the business write, so one never exists without the other.
create table idempotency_key (
  id bigint generated always as identity primary key,
  -- whose key: 'token:<id>' or 'system'
  scope text not null,
  key text not null,
  operation text not null,
  request_hash text not null,
  response jsonb,
  created_at timestamptz not null default now(),
  constraint idempotency_key_scope_key_unique unique (scope, key)
);
create index idempotency_key_created_idx on idempotency_key (created_at);

-- Sales per location and UTC hour. Each invoice writes only its shard (invoice id % 16), so
-- concurrent tills rarely wait on the same row; readers sum the shards.
create table sales_rollup_hour (
  location_id bigint not null references location (id),
  bucket timestamptz not null,
  shard bigint not null,
  invoices bigint not null default 0,
  returns bigint not null default 0,
  net_amount numeric(16, 2) not null default 0,
  tax_amount numeric(16, 2) not null default 0,
  total_amount numeric(16, 2) not null default 0,
  discount_amount numeric(16, 2) not null default 0,
  primary key (location_id, bucket, shard)
);

-- Sales per location, product and UTC hour (quantities in the product's base unit).
create table sales_rollup_product_hour (
  location_id bigint not null references location (id),
  bucket timestamptz not null,
  product_id bigint not null references product (id),
  quantity numeric(20, 6) not null default 0,
  net_amount numeric(16, 2) not null default 0,
  tax_amount numeric(16, 2) not null default 0,
  total_amount numeric(16, 2) not null default 0,
  primary key (location_id, bucket, product_id)
);
