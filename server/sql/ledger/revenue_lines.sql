/*
 * Published by the ledger for the analytics module's revenue roll-up: every posted transfer with
 * the kinds and owners of its two accounts, so a day's credits sold (kind 'purchase' into a wallet),
 * fans' spend (wallet or escrow into earnings or revenue, less what went back to a wallet) and the
 * platform's take (into revenue, less out of it) are sums over one day's rows.
 * A plain view: a caller's `created_at >= … AND created_at < …` uses ledger_transfers_created_idx.
 */
CREATE OR REPLACE VIEW revenue_lines AS
SELECT t.created_at, t.kind, t.amount, d.kind AS debit_kind, d.user_id AS debit_user_id, c.kind AS credit_kind, c.user_id AS credit_user_id
FROM ledger_transfers t
JOIN ledger_accounts d ON d.id = t.debit_account_id
JOIN ledger_accounts c ON c.id = t.credit_account_id
WHERE t.state = 'posted';
