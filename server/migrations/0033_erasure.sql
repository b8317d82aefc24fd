-- Account deletion and data export (#18).

-- 'deleted' is a standing every reader already treats as gone: discovery, profiles, creator pages and
-- pairing read only status = 'active'. deleted_at starts the erasure delay; erased_at says the erase
-- job anonymised the row (the row itself stays: ledger accounts, messages and matches point at it).
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_status_check;
ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN ('active', 'suspended', 'deleted'));
ALTER TABLE users ADD COLUMN deleted_at timestamptz;
ALTER TABLE users ADD COLUMN erased_at timestamptz;
CREATE INDEX users_erasure_due_idx ON users (deleted_at) WHERE status = 'deleted' AND erased_at IS NULL;

-- A user's export of their own data. The archive is kept in PostgreSQL (a JSON document of a few
-- hundred kilobytes at most): every node can serve it, with no shared data directory in a cluster.
CREATE TABLE account_exports (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  requested_at timestamptz NOT NULL DEFAULT now(),
  ready_at     timestamptz,
  expires_at   timestamptz NOT NULL,
  archive      jsonb
);
CREATE INDEX account_exports_user_idx ON account_exports (user_id, requested_at DESC);
