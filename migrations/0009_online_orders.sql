-- Online orders: placed from a cart in ONE statement that also takes the stock from the fulfilling
-- location, writes its ledger rows and the sales rollups (channel 'online'), like a POS sale. Lines
-- keep the prices they were sold at; an order's history keeps who did what, when. Imported
-- marketplace orders are orders too, unique by (source, external_ref). The batch log records every
-- batch operation (this module's and the bulk imports').
set lock_timeout = '5s';

-- Online orders are fulfilled from the locations that sell online, lowest online_priority first.
alter table location add column sells_online boolean not null default false;
alter table location add column online_priority integer not null default 0;

create table online_order (
  id bigint generated always as identity primary key,
  -- 'store' (the web shop) or 'marketplace:<name>' (imported)
  source text not null default 'store' check (source = 'store' or source ~ '^marketplace:[a-z0-9_-]{1,32}$'),
  external_ref text,
  customer_id bigint references customer (id) on delete set null,
  email text not null check (length(email) between 3 and 254),
  -- SHA-256 of the token a guest reads the order with; null for a customer's order
  access_token_hash text unique,
  status text not null check (status in ('placed', 'paid', 'fulfilled', 'completed', 'cancelled')),
  -- the location the stock was taken from
  location_id bigint not null references location (id),
  shipping_method_id bigint references shipping_method (id) on delete set null,
  shipping_method_name text,
  -- a copy of the address as it was at checkout: later edits of the address book do not move an order
  shipping_address jsonb not null,
  shipping_country text not null check (shipping_country ~ '^[A-Z]{2}$'),
  subtotal numeric(12, 2) not null,
  tax_total numeric(12, 2) not null,
  shipping_total numeric(12, 2) not null default 0 check (shipping_total >= 0),
  -- lines (net + tax) + shipping
  total numeric(12, 2) not null,
  line_count bigint not null,
  payment_provider text not null check (payment_provider ~ '^[a-z0-9_-]{1,32}$'),
  payment_reference text,
  paid_total numeric(12, 2) not null default 0,
  refunded_total numeric(12, 2) not null default 0,
  tracking_reference text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  paid_at timestamptz,
  fulfilled_at timestamptz,
  completed_at timestamptz,
  cancelled_at timestamptz,
  constraint online_order_refund_within_paid check (refunded_total <= paid_total)
);
create unique index online_order_external_unique on online_order (source, external_ref) where external_ref is not null;
-- a customer's orders, newest first
create index online_order_customer_idx on online_order (customer_id, id) where customer_id is not null;
-- staff lists: a location's orders by status
create index online_order_location_status_idx on online_order (location_id, status, id);

create table online_order_line (
  id bigint generated always as identity primary key,
  order_id bigint not null references online_order (id) on delete cascade,
  position bigint not null,
  product_id bigint not null references product (id),
  sku text not null,
  name text not null,
  unit text not null,
  quantity numeric(20, 6) not null check (quantity > 0),
  factor numeric(20, 6) not null,
  base_quantity numeric(20, 6) not null,
  unit_price numeric(16, 6) not null,
  tax_rate numeric(6, 3) not null,
  net_amount numeric(12, 2) not null,
  tax_amount numeric(12, 2) not null,
  total_amount numeric(12, 2) not null,
  returned_quantity numeric(20, 6) not null default 0,
  returned_net numeric(12, 2) not null default 0,
  returned_tax numeric(12, 2) not null default 0,
  constraint online_order_line_position_unique unique (order_id, position),
  constraint online_order_line_returned_within_sold check (returned_quantity <= quantity)
);
create index online_order_line_product_idx on online_order_line (product_id);

-- Append-only: one row per change of an order, with who made it.
create table online_order_event (
  id bigint generated always as identity primary key,
  order_id bigint not null references online_order (id) on delete cascade,
  at timestamptz not null default now(),
  kind text not null,
  from_status text,
  to_status text,
  -- 'customer:<id>', 'guest', 'token:<id>' (staff) or 'system'
  actor text not null,
  detail jsonb
);
create index online_order_event_order_idx on online_order_event (order_id, id);

create table online_order_return (
  id bigint generated always as identity primary key,
  order_id bigint not null references online_order (id),
  -- where the goods came back
  location_id bigint not null references location (id),
  reason text,
  net_amount numeric(12, 2) not null,
  tax_amount numeric(12, 2) not null,
  -- refunded to the shopper
  total_amount numeric(12, 2) not null,
  token_id bigint,
  created_at timestamptz not null default now()
);
create index online_order_return_order_idx on online_order_return (order_id);

create table online_order_return_line (
  id bigint generated always as identity primary key,
  return_id bigint not null references online_order_return (id),
  order_line_id bigint not null references online_order_line (id),
  product_id bigint not null references product (id),
  quantity numeric(20, 6) not null check (quantity > 0),
  base_quantity numeric(20, 6) not null,
  net_amount numeric(12, 2) not null,
  tax_amount numeric(12, 2) not null,
  total_amount numeric(12, 2) not null
);
create index online_order_return_line_return_idx on online_order_return_line (return_id);

-- Every batch operation, whichever module ran it: what, how many rows, how many statements, how long.
create table batch_log (
  id bigint generated always as identity primary key,
  operation text not null,
  status text not null check (status in ('running', 'succeeded', 'partial', 'failed')),
  rows_total bigint not null default 0,
  rows_succeeded bigint not null default 0,
  rows_failed bigint not null default 0,
  statements bigint not null default 0,
  token_id bigint,
  detail jsonb,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  duration_ms numeric(12, 3)
);
create index batch_log_operation_idx on batch_log (operation, id);
