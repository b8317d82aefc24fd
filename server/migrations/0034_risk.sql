-- Risk scoring (issue #18): a score with its reasons for every sign-in and
-- every checkout, the step-up or hold it led to, and the admin's decision on
-- a held payment.

-- One row per sign-in that passed the password (or OpenID) check, and per
-- failed password of a known account (outcome 'failed', score 0): the
-- history the next sign-in is compared with. `passed_at` is when a session
-- was opened from it (at once, after a second factor, or on the sign-in
-- again after the mailed confirmation).
CREATE TABLE risk_logins (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at          timestamptz NOT NULL DEFAULT now(),
  ip                  text,
  device              text NOT NULL,
  country             text,
  lat                 double precision,
  lon                 double precision,
  score               integer NOT NULL CHECK (score BETWEEN 0 AND 100),
  reasons             text[] NOT NULL DEFAULT '{}',
  outcome             text NOT NULL CHECK (outcome IN ('allowed', 'two_factor', 'email_confirmation', 'held', 'failed')),
  passed_at           timestamptz,
  -- The mailed confirmation of a step-up (only the link's SHA-256 is kept).
  confirm_hash        text UNIQUE,
  confirm_expires_at  timestamptz,
  confirmed_at        timestamptz
);
CREATE INDEX risk_logins_user_idx ON risk_logins (user_id, created_at DESC);
CREATE INDEX risk_logins_flagged_idx ON risk_logins (created_at DESC) WHERE score > 0;

-- One row per checkout assessed: `payment_id` is null for a refused one
-- (no payment was opened). A held payment waits for an admin's decision.
CREATE TABLE risk_payments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  payment_id    uuid UNIQUE,
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  provider      text NOT NULL,
  pack_id       text NOT NULL,
  credits       integer NOT NULL,
  amount_minor  bigint NOT NULL,
  currency      text NOT NULL,
  score         integer NOT NULL CHECK (score BETWEEN 0 AND 100),
  reasons       text[] NOT NULL DEFAULT '{}',
  decision      text NOT NULL CHECK (decision IN ('allowed', 'held', 'refused', 'approved', 'rejected')),
  decided_by    uuid,
  decided_at    timestamptz,
  note          text
);
CREATE INDEX risk_payments_decision_idx ON risk_payments (decision, created_at DESC);
CREATE INDEX risk_payments_user_idx ON risk_payments (user_id, created_at DESC);

-- Payments' side of a hold: credits are not granted while 'held' (a capture
-- is remembered in captured_while_held) and never when 'rejected'.
ALTER TABLE payments ADD COLUMN risk_hold text NOT NULL DEFAULT 'none' CHECK (risk_hold IN ('none', 'held', 'approved', 'rejected'));
ALTER TABLE payments ADD COLUMN captured_while_held boolean NOT NULL DEFAULT false;
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
  CHECK (status IN ('creating', 'pending', 'succeeded', 'failed', 'refunded', 'partially_refunded', 'disputed', 'error', 'held', 'rejected'));
