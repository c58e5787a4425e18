-- The change feed: a stream table's row gets the next number of the table's
-- sequence (named by the trigger's argument) when it is inserted without one,
-- or updated so that its content or liveness changes without the statement
-- setting `_seq` itself. Writers of a table take its advisory lock first, so
-- numbers follow commit order.
CREATE OR REPLACE FUNCTION _holdfast_next_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW._seq IS NULL THEN
            NEW._seq := nextval(TG_ARGV[0]::regclass);
        END IF;
    ELSIF (NEW._raw IS DISTINCT FROM OLD._raw OR NEW._deleted_at IS DISTINCT FROM OLD._deleted_at)
          AND NEW._seq IS NOT DISTINCT FROM OLD._seq THEN
        NEW._seq := nextval(TG_ARGV[0]::regclass);
    END IF;
    RETURN NEW;
END
$$;
