-- Earnings read model (issue #13): a creator's earnings are the transfers into and out of
-- their earnings account, summed over a time window (the hold, a day series, a month's
-- statement). These indexes answer "this account's transfers between two instants" as an
-- index range instead of walking every transfer the account ever had.
CREATE INDEX ledger_transfers_credit_time_idx ON ledger_transfers (credit_account_id, created_at);
CREATE INDEX ledger_transfers_debit_time_idx ON ledger_transfers (debit_account_id, created_at);
