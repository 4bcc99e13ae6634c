-- Shipping methods of the online store and their rates: a flat price per country, free when the
-- cart's total before shipping reaches free_over. Country '*' is the rate for every country the
-- method has no rate of its own for.
set lock_timeout = '5s';

create table shipping_method (
  id bigint generated always as identity primary key,
  code text not null unique check (code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
  name text not null check (length(name) between 1 and 200),
  active boolean not null default true,
  -- display order, lowest first
  position integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table shipping_rate (
  shipping_method_id bigint not null references shipping_method (id) on delete cascade,
  -- ISO 3166-1 alpha-2, or '*' for every other country
  country text not null check (country ~ '^([A-Z]{2}|\*)$'),
  price numeric(12, 2) not null check (price >= 0),
  free_over numeric(12, 2) check (free_over >= 0),
  primary key (shipping_method_id, country)
);
-- the shopper's question: which methods serve this country
create index shipping_rate_country_idx on shipping_rate (country);
