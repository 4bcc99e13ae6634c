-- Lets a whole sale, cancel or return be ONE statement: the statement moves stock in a CTE and
-- calls this with the lines the stock could not cover; a non-empty list aborts the statement, so
-- nothing it wrote stays. The list travels as the error's DETAIL for the caller to name the lines.
set lock_timeout = '5s';

create function brisk_refuse_short_stock(short jsonb) returns boolean
language plpgsql
as $$
begin
  if short is not null and jsonb_array_length(short) > 0 then
    raise exception using errcode = 'P0001', message = 'brisk_insufficient_stock', detail = short::text;
  end if;
  return true;
end
$$;
