-- Product activity (seed 003): views, append-only and high-volume, and recommendation scores per
-- (customer, product, algorithm) upserted in place. Views carry no foreign keys: a key check per
-- row would halve what a bulk import of millions of views can write, and products are never
-- deleted (only deactivated); the writers resolve every product before writing.
set lock_timeout = '5s';

create table product_view (
  id bigint generated always as identity primary key,
  product_id bigint not null,
  -- a signed-in customer's view; else an anonymous session's
  customer_id bigint,
  session_id text check (length(session_id) between 1 and 100),
  -- where it happened: 'web', 'app', 'email', 'import' …
  source text not null default 'web' check (source ~ '^[a-z0-9_-]{1,32}$'),
  viewed_at timestamptz not null default now(),
  constraint product_view_who check (customer_id is not null or session_id is not null)
);
-- a customer's recent views
create index product_view_customer_idx on product_view (customer_id, viewed_at) where customer_id is not null;
-- a product's views by kind (source) and day
create index product_view_product_idx on product_view (product_id, source, viewed_at);
-- retention deletes the oldest first
create index product_view_viewed_at_idx on product_view (viewed_at);

create table recommendation_score (
  customer_id bigint not null references customer (id) on delete cascade,
  product_id bigint not null references product (id),
  algorithm text not null check (algorithm ~ '^[a-z0-9_-]{1,32}$'),
  score numeric(12, 6) not null,
  updated_at timestamptz not null default now(),
  primary key (customer_id, algorithm, product_id)
);
-- a customer's top recommendations
create index recommendation_score_top_idx on recommendation_score (customer_id, algorithm, score desc);

-- A resumable import: the last chunk committed moves forward in the same transaction as the chunk,
-- so a killed import resumed from here writes every row exactly once.
create table import_run (
  id bigint generated always as identity primary key,
  kind text not null check (kind in ('products', 'stock', 'views', 'scores')),
  -- the file's name, or 'http'
  source text not null,
  -- identifies the input on resume: SHA-256 of its first 64 KiB and its size
  fingerprint text,
  chunk_size integer not null check (chunk_size between 1 and 100000),
  -- data rows (after the header) consumed by the committed chunks: a resume skips these
  rows_committed bigint not null default 0,
  rows_written bigint not null default 0,
  rows_rejected bigint not null default 0,
  chunks bigint not null default 0,
  status text not null check (status in ('running', 'succeeded', 'failed')),
  batch_id bigint references batch_log (id),
  options jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index import_run_fingerprint_idx on import_run (kind, fingerprint) where status <> 'succeeded';

-- The batch log (0009) learns what imports report: where the rows came from, chunks, database
-- time, the error of a failed run, and that a run was resumed.
alter table batch_log add column source text;
alter table batch_log add column chunks bigint not null default 0;
alter table batch_log add column database_ms numeric(14, 3);
alter table batch_log add column error text;
alter table batch_log add column resumed boolean not null default false;
