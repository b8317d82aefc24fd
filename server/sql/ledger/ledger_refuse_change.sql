-- Behind the triggers on ledger_transfers (created in migration 0002): transfers are append-only.
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'LEDGER_APPEND_ONLY' USING DETAIL = 'ledger transfers are immutable; correct them with a new transfer';
END $$;
