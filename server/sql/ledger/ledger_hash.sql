-- The chain link of a transfer: used when writing it and when verifying it.
CREATE OR REPLACE FUNCTION ledger_hash(
  prev text, id bigint, key text, debit bigint, credit bigint, amount bigint, kind text, state text,
  pending_id bigint, expires_at timestamptz, metadata jsonb, created_at timestamptz
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws('|',
    prev, id::text, key, debit::text, credit::text, amount::text, kind, state,
    coalesce(pending_id::text, '-'),
    coalesce(floor(extract(epoch FROM expires_at) * 1000000)::bigint::text, '-'),
    metadata::text,
    floor(extract(epoch FROM created_at) * 1000000)::bigint::text
  ), 'UTF8')), 'hex')
$$;
