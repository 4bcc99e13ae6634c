-- Foundation: access tokens, catalog (categories, units, products, per-product unit conversions)
-- and inventory (locations, stock levels, append-only stock ledger).
set lock_timeout = '5s';

create table api_token (
  id bigint generated always as identity primary key,
  name text not null,
  role text not null check (role in ('admin', 'manager', 'cashier')),
  token_hash text not null unique,
  location_ids bigint[],
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

create table category (
  id bigint generated always as identity primary key,
  name text not null,
  parent_id bigint references category (id),
  created_at timestamptz not null default now(),
  constraint category_name_unique unique (name)
);

create table unit (
  code text primary key check (code ~ '^[a-z0-9_]{1,32}$'),
  name text not null
);

create table product (
  id bigint generated always as identity primary key,
  sku text not null,
  barcode text,
  name text not null,
  description text not null default '',
  category_id bigint references category (id),
  base_unit text not null references unit (code),
  price numeric(14, 2) not null check (price >= 0),
  tax_rate numeric(6, 3) not null default 0 check (tax_rate >= 0 and tax_rate <= 100),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint product_sku_unique unique (sku),
  constraint product_barcode_unique unique (barcode)
);
create index product_category_idx on product (category_id, id);
create index product_name_lower_idx on product (lower(name) text_pattern_ops);

-- How many base units one `unit_code` of this product holds (box of 12 → 12; g of a kg product → 0.001).
create table product_unit (
  product_id bigint not null references product (id) on delete cascade,
  unit_code text not null references unit (code),
  factor numeric(20, 9) not null check (factor > 0),
  barcode text,
  primary key (product_id, unit_code),
  constraint product_unit_barcode_unique unique (barcode)
);

create table location (
  id bigint generated always as identity primary key,
  code text not null,
  name text not null,
  kind text not null default 'store' check (kind in ('store', 'warehouse')),
  allow_negative_stock boolean not null default false,
  created_at timestamptz not null default now(),
  constraint location_code_unique unique (code)
);

-- Stock in the product's base unit. Rows are created on first movement.
create table stock_level (
  location_id bigint not null references location (id),
  product_id bigint not null references product (id),
  quantity numeric(20, 6) not null default 0,
  updated_at timestamptz not null default now(),
  primary key (location_id, product_id)
);
create index stock_level_product_idx on stock_level (product_id);

-- Append-only: every change to stock_level has exactly one row here, so the ledger always sums to the level.
create table stock_ledger (
  id bigint generated always as identity primary key,
  location_id bigint not null references location (id),
  product_id bigint not null references product (id),
  delta numeric(20, 6) not null,
  reason text not null check (reason in ('adjustment', 'count', 'transfer_out', 'transfer_in', 'sale', 'return', 'cancel', 'import')),
  reference text,
  token_id bigint references api_token (id),
  created_at timestamptz not null default now()
);
create index stock_ledger_location_product_idx on stock_ledger (location_id, product_id, id);
