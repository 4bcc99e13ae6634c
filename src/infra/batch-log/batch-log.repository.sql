-- Generated from src/infra/batch-log/batch-log.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- insertBatch
insert into batch_log (operation, status, rows_total, token_id, source, resumed)
values ($1, 'running', $2, $3, $4, $5)
returning id;

-- finishBatch
update "batch_log" set "status" = $1, "rows_succeeded" = $2, "rows_failed" = $3, "statements" = $4, "duration_ms" = $5, "detail" = $6, "finished_at" = clock_timestamp() where "id" = $7 returning *;

-- listBatches
select * from "batch_log" where "operation" = $1 and "token_id" = $2 and "id" < $3 order by "id" desc limit $4;

-- findBatch
select * from "batch_log" where "id" = $1;

-- insertBatch: an import, resumed
insert into batch_log (operation, status, rows_total, token_id, source, resumed)
values ($1, 'running', $2, $3, $4, $5)
returning id;

-- finishBatch: an import
update "batch_log" set "status" = $1, "rows_succeeded" = $2, "rows_failed" = $3, "statements" = $4, "duration_ms" = $5, "detail" = $6, "rows_total" = $7, "chunks" = $8, "database_ms" = $9, "error" = $10, "finished_at" = clock_timestamp() where "id" = $11 returning *;

-- abandonBatch
update "batch_log" set "status" = $1, "error" = $2, "finished_at" = clock_timestamp() where "id" = $3 and "status" = $4;
