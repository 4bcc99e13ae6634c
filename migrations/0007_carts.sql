-- Shopping carts of the online store. A guest's cart is found by an unguessable token, stored only
-- as its SHA-256 hash; a customer's by the customer (one open cart each). Lines keep what the
-- shopper chose (product, unit, quantity): prices are the catalog's when the cart is read.
set lock_timeout = '5s';

create table cart (
  id bigint generated always as identity primary key,
  token_hash text unique,
  customer_id bigint references customer (id) on delete cascade,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  expires_at timestamptz not null,
  -- a guest's cart (a token) or a customer's (no token), never both nor neither
  constraint cart_guest_or_customer check ((token_hash is null) <> (customer_id is null))
);
create unique index cart_customer_unique on cart (customer_id) where customer_id is not null;
-- pruning finds expired carts by this
create index cart_expires_idx on cart (expires_at);

create table cart_line (
  id bigint generated always as identity primary key,
  cart_id bigint not null references cart (id) on delete cascade,
  product_id bigint not null references product (id),
  unit text not null,
  quantity numeric(20, 6) not null check (quantity > 0),
  created_at timestamptz not null default now(),
  constraint cart_line_product_unit_unique unique (cart_id, product_id, unit)
);
create index cart_line_product_idx on cart_line (product_id);
