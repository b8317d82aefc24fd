-- Accounts (#18): email verification, password reset and email change by mailed, single-use links.

-- NULL until the owner opens a verification link (or resets the password, which proves the same mailbox).
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

-- A change of address waits for both mailboxes: the new one proves it is theirs, the old one agrees.
CREATE TABLE email_changes (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  new_email        text NOT NULL CHECK (new_email = lower(new_email) AND length(new_email) <= 254),
  new_confirmed_at timestamptz,
  old_confirmed_at timestamptz,
  cancelled_at     timestamptz,
  completed_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_changes_user_idx ON email_changes (user_id);

-- Only a SHA-256 of each mailed token is stored; a token works once, for its purpose, until it expires.
CREATE TABLE account_tokens (
  token_hash      text PRIMARY KEY,
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose         text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'email_change_new', 'email_change_old')),
  -- The address the link was mailed to: a verification is for that address only (it may have changed since).
  email           text NOT NULL,
  email_change_id uuid REFERENCES email_changes (id) ON DELETE CASCADE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  used_at         timestamptz
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);
