-- ledger_apply's text now lives in one repeatable file (server/sql/ledger/ledger_apply.sql),
-- with the twins' advisory lock inside it, instead of 0002's body renamed and wrapped by 0010.
-- Both old functions go; the repeatable file, applied after the migrations in this same
-- transaction (server/src/db/migrate.ts), creates ledger_apply again, so no transaction
-- ever sees the ledger without it. Dropping rather than renaming back makes a missing
-- repeatable file fail loudly instead of leaving a ledger_apply without the twins' lock.
DROP FUNCTION ledger_apply(int, jsonb);
DROP FUNCTION ledger_apply_unserialised(int, jsonb);
