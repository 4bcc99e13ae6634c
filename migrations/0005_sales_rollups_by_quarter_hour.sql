-- brisk:no-transaction
-- Sales rollups count per quarter hour: `bucket` of sales_rollup_hour and sales_rollup_product_hour
-- is now the start of a 15-minute UTC interval (date_bin from the epoch), written so by the code of
-- this release. Every offset in use is a whole number of quarter hours, so each local hour and day is
-- an exact sum of buckets, also in Asia/Kolkata (+05:30) or Asia/Kathmandu (+05:45), where UTC hours
-- cut the local hours in two. The tables keep their names: a rename would break the running code.
--
-- The rows written so far hold whole UTC hours (an hour row sits at its first quarter). They are
-- rebuilt from the invoices and returns, one location and UTC day per transaction, as a delta: each
-- row gets (what the invoices say) − (what the rows said), both read in one snapshot, so a cancel or
-- sale committing meanwhile keeps its own change, and a second run changes nothing. The indexes
-- below serve only this rebuild and are dropped after it.
--
-- While old servers still run, what they write goes to the :00 quarter of its hour: whole-hour zones
-- stay exact, others may shift those sales by up to 45 minutes until every server runs this release.
-- A rollback to the previous release sees only the :00 quarter of each hour in its hourly report (its
-- top products stay exact).
set lock_timeout = '2s';

comment on column sales_rollup_hour.bucket is 'start of the 15-minute UTC interval the sales count in';
comment on column sales_rollup_product_hour.bucket is 'start of the 15-minute UTC interval the sales count in';

create index concurrently if not exists sales_invoice_rollup_rebuild_idx on sales_invoice (location_id, submitted_at)
  where status = 'submitted';
create index concurrently if not exists sales_return_rollup_rebuild_idx on sales_return (location_id, created_at);

do $$
declare
  batch record;
begin
  for batch in
    select distinct location_id, date_trunc('day', bucket, 'UTC') as first from sales_rollup_hour order by 1, 2
  loop
    -- the order of the row locks is the sales statements' own: product rows by bucket and product, then shard rows
    with sold as (
      select i.id, date_bin('15 minutes', i.submitted_at, timestamptz '1970-01-01 00:00:00+00') as bucket, i.net_total,
        i.tax_total, i.total, i.line_discount_total + i.discount_amount as discount
      from sales_invoice i
      where i.location_id = batch.location_id and i.status = 'submitted'
        and i.submitted_at >= batch.first and i.submitted_at < batch.first + interval '1 day'
    ), returned as (
      select r.id, r.invoice_id, date_bin('15 minutes', r.created_at, timestamptz '1970-01-01 00:00:00+00') as bucket,
        r.net_amount, r.tax_amount, r.total_amount
      from sales_return r
      where r.location_id = batch.location_id
        and r.created_at >= batch.first and r.created_at < batch.first + interval '1 day'
    ), product_delta as (
      select c.bucket, c.product_id, sum(c.quantity) as quantity, sum(c.net_amount) as net_amount,
        sum(c.tax_amount) as tax_amount, sum(c.total_amount) as total_amount
      from (
        select s.bucket, l.product_id, l.base_quantity as quantity, l.net_amount, l.tax_amount, l.total_amount
        from sold s join sales_invoice_line l on l.invoice_id = s.id
        union all
        select rt.bucket, l.product_id, -l.base_quantity, -l.net_amount, -l.tax_amount, -l.total_amount
        from returned rt join sales_return_line l on l.return_id = rt.id
        union all
        select p.bucket, p.product_id, -p.quantity, -p.net_amount, -p.tax_amount, -p.total_amount
        from sales_rollup_product_hour p
        where p.location_id = batch.location_id and p.bucket >= batch.first and p.bucket < batch.first + interval '1 day'
      ) as c
      group by c.bucket, c.product_id
      having sum(c.quantity) <> 0 or sum(c.net_amount) <> 0 or sum(c.tax_amount) <> 0 or sum(c.total_amount) <> 0
    ), products as (
      insert into sales_rollup_product_hour as r (location_id, bucket, product_id, quantity, net_amount, tax_amount,
        total_amount)
      select batch.location_id, d.bucket, d.product_id, d.quantity, d.net_amount, d.tax_amount, d.total_amount
      from product_delta d
      order by d.bucket, d.product_id
      on conflict (location_id, bucket, product_id) do update
        set quantity = r.quantity + excluded.quantity, net_amount = r.net_amount + excluded.net_amount,
          tax_amount = r.tax_amount + excluded.tax_amount, total_amount = r.total_amount + excluded.total_amount
      returning 1
    )
    insert into sales_rollup_hour as r (location_id, bucket, shard, invoices, returns, net_amount, tax_amount,
      total_amount, discount_amount)
    select batch.location_id, d.bucket, d.shard, d.invoices, d.returns, d.net_amount, d.tax_amount, d.total_amount,
      d.discount_amount
    from (
      -- shards as the sales wrote them: invoice id % 16 (SALES_ROLLUP_SHARDS), a return in its invoice's shard
      select c.bucket, c.shard, sum(c.invoices) as invoices, sum(c.returns) as returns, sum(c.net_amount) as net_amount,
        sum(c.tax_amount) as tax_amount, sum(c.total_amount) as total_amount, sum(c.discount_amount) as discount_amount
      from (
        select s.bucket, s.id % 16 as shard, 1 as invoices, 0 as returns, s.net_total as net_amount,
          s.tax_total as tax_amount, s.total as total_amount, s.discount as discount_amount
        from sold s
        union all
        select rt.bucket, rt.invoice_id % 16, 0, 1, -rt.net_amount, -rt.tax_amount, -rt.total_amount, 0
        from returned rt
        union all
        select h.bucket, h.shard, -h.invoices, -h.returns, -h.net_amount, -h.tax_amount, -h.total_amount,
          -h.discount_amount
        from sales_rollup_hour h
        where h.location_id = batch.location_id and h.bucket >= batch.first and h.bucket < batch.first + interval '1 day'
      ) as c
      group by c.bucket, c.shard
      having sum(c.invoices) <> 0 or sum(c.returns) <> 0 or sum(c.net_amount) <> 0 or sum(c.tax_amount) <> 0
        or sum(c.total_amount) <> 0 or sum(c.discount_amount) <> 0
    ) as d
    -- reading the product upserts makes them finish first
    cross join (select count(*) from products) as products_first
    order by d.bucket, d.shard
    on conflict (location_id, bucket, shard) do update
      set invoices = r.invoices + excluded.invoices, returns = r.returns + excluded.returns,
        net_amount = r.net_amount + excluded.net_amount, tax_amount = r.tax_amount + excluded.tax_amount,
        total_amount = r.total_amount + excluded.total_amount, discount_amount = r.discount_amount + excluded.discount_amount;
    commit;
  end loop;
end $$;

drop index concurrently if exists sales_invoice_rollup_rebuild_idx;
drop index concurrently if exists sales_return_rollup_rebuild_idx;
