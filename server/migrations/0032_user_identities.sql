-- Sign in with Google / Apple (#18): an account's identities at OpenID providers, and the single-use tickets of the flow.

-- (provider, subject) is who the provider says signed in; the email is what it said then (for support, not for look-ups).
CREATE TABLE user_identities (
  provider   text NOT NULL CHECK (provider IN ('google', 'apple')),
  subject    text NOT NULL CHECK (length(subject) <= 255),
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email      text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, subject)
);
CREATE INDEX user_identities_user_idx ON user_identities (user_id);

-- What a provider's callback hands on, each good once and briefly (only a SHA-256 is kept):
-- 'login' gives the web app its session, 'signup' lets it finish a new account (birthdate, name),
-- 'link' is mailed to an existing account's address: opening it proves the mailbox and links the identity.
CREATE TABLE oidc_tickets (
  ticket_hash text PRIMARY KEY,
  purpose     text NOT NULL CHECK (purpose IN ('login', 'signup', 'link')),
  provider    text NOT NULL,
  subject     text NOT NULL,
  email       text,
  user_id     uuid REFERENCES users (id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX oidc_tickets_expires_idx ON oidc_tickets (expires_at);
