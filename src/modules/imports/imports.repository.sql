-- Generated from src/modules/imports/imports.repository.ts by test/sql-snapshots.test.ts. Do not edit by hand.

-- findUnfinishedRun
select "id", "kind", "source", "fingerprint", "chunk_size", "rows_committed", "rows_written", "rows_rejected", "chunks", "status", "batch_id", "options" from "import_run" where "kind" = $1 and "fingerprint" = $2 and "status" <> $3 order by "id" desc limit $4;

-- findRun
select "id", "kind", "source", "fingerprint", "chunk_size", "rows_committed", "rows_written", "rows_rejected", "chunks", "status", "batch_id", "options" from "import_run" where "id" = $1;

-- insertRun
insert into "import_run" ("kind", "source", "fingerprint", "chunk_size", "status", "batch_id", "options") values ($1, $2, $3, $4, $5, $6, $7) returning "id", "kind", "source", "fingerprint", "chunk_size", "rows_committed", "rows_written", "rows_rejected", "chunks", "status", "batch_id", "options";

-- restartRun
update "import_run" set "status" = $1, "batch_id" = $2, "updated_at" = now() where "id" = $3;

-- advanceRun
update "import_run" set "rows_committed" = "rows_committed" + $1, "rows_written" = "rows_written" + $2, "rows_rejected" = "rows_rejected" + $3, "chunks" = "chunks" + $4, "updated_at" = now() where "id" = $5 and "rows_committed" = $6;

-- finishRun
update "import_run" set "status" = $1, "updated_at" = now() where "id" = $2;
