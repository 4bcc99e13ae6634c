-- Lets a single-statement write undo itself when two of its parts disagree — say, a checkout
-- that claimed its Idempotency-Key but found its cart changed meanwhile: selecting this aborts
-- the statement, so nothing it wrote stays. The reason travels as the error's DETAIL.
set lock_timeout = '5s';

create function brisk_abort(reason text) returns boolean
language plpgsql
as $$
begin
  raise exception using errcode = 'P0001', message = 'brisk_abort', detail = reason;
end
$$;
