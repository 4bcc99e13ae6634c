-- Customers of the online store: accounts, their addresses and their sign-in sessions. Passwords
-- are stored only as self-describing scrypt hashes, session tokens only as SHA-256 hashes.
set lock_timeout = '5s';

-- The email is kept as typed; one account per email whatever its case (customer_email_lower_unique).
create table customer (
  id bigint generated always as identity primary key,
  email text not null check (length(email) between 3 and 254),
  name text not null check (length(name) between 1 and 200),
  password_hash text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index customer_email_lower_unique on customer (lower(email));

create table customer_address (
  id bigint generated always as identity primary key,
  customer_id bigint not null references customer (id) on delete cascade,
  label text,
  name text not null,
  line1 text not null,
  line2 text,
  city text not null,
  postal_code text not null,
  -- ISO 3166-1 alpha-2; the service checks the code is an assigned one
  country text not null check (country ~ '^[A-Z]{2}$'),
  phone text,
  is_default boolean not null default false,
  created_at timestamptz not null default now()
);
create index customer_address_customer_idx on customer_address (customer_id, id);
-- at most one default address per customer
create unique index customer_address_default_unique on customer_address (customer_id) where is_default;

create table customer_session (
  id bigint generated always as identity primary key,
  customer_id bigint not null references customer (id) on delete cascade,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index customer_session_customer_idx on customer_session (customer_id) where revoked_at is null;
