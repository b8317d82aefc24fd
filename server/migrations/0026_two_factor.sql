-- Two-factor sign-in with an authenticator app (TOTP, RFC 6238) and single-use recovery codes.
-- The TOTP secret is stored encrypted (AES-256-GCM under a key derived from the server's secret);
-- a row with enabled_at NULL is an enrolment not yet confirmed with a code. last_step is the
-- 30-second step of the last code accepted: a code is good once, never again in its window.
CREATE TABLE user_totp (
  user_id     uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret_enc  text NOT NULL,
  enabled_at  timestamptz,
  last_step   bigint,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Recovery codes, as SHA-256 of the normalised code (each has 50 bits of randomness); used once.
CREATE TABLE user_recovery_codes (
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash  text NOT NULL,
  used_at    timestamptz,
  PRIMARY KEY (user_id, code_hash)
);
