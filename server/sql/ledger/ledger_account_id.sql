-- An account's id by its code, creating a user's or a shared account on first use (codes: accounts.ts).
CREATE OR REPLACE FUNCTION ledger_account_id(p_code text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
  v_kind text := split_part(p_code, ':', 1);
  v_user uuid;
BEGIN
  SELECT id INTO v_id FROM ledger_accounts WHERE code = p_code;
  IF v_id IS NOT NULL THEN RETURN v_id; END IF;
  IF v_kind IN ('wallet', 'earnings', 'debt') THEN
    v_user := split_part(p_code, ':', 2)::uuid;
  END IF;
  INSERT INTO ledger_accounts (code, kind, user_id, allow_negative)
  VALUES (p_code, v_kind, v_user, v_kind IN ('clearing', 'debt', 'promotions', 'adjustments'))
  ON CONFLICT (code) DO NOTHING;
  SELECT id INTO v_id FROM ledger_accounts WHERE code = p_code;
  RETURN v_id;
END $$;
