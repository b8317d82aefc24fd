-- Metered one-to-one calls. Media goes through the SFU (a Janus room per call);
-- here is the call's state, which any node can serve, and what was billed.

ALTER TABLE users ADD COLUMN call_price_per_minute integer NOT NULL DEFAULT 0 CHECK (call_price_per_minute BETWEEN 0 AND 100000);

CREATE TABLE calls (
  id               uuid PRIMARY KEY,
  caller_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  callee_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  video            boolean NOT NULL,
  state            text NOT NULL CHECK (state IN ('ringing', 'connecting', 'active', 'ended')),
  price_per_minute integer NOT NULL CHECK (price_per_minute >= 0),
  sfu_instance     text,
  sfu_room         bigint,
  created_at       timestamptz NOT NULL DEFAULT now(),
  answered_at      timestamptz,
  ended_at         timestamptz,
  end_reason       text CHECK (end_reason IN ('hangup', 'declined', 'cancelled', 'no_answer', 'insufficient_credits', 'media_failure', 'server_lost')),
  ended_by         uuid,
  minutes_billed   integer NOT NULL DEFAULT 0,
  credits_billed   integer NOT NULL DEFAULT 0,
  CHECK (caller_id <> callee_id)
);
CREATE INDEX calls_caller_idx ON calls (caller_id, created_at);
CREATE INDEX calls_callee_idx ON calls (callee_id, created_at);
CREATE INDEX calls_open_idx ON calls (state) WHERE state <> 'ended';

-- One call at a time per user, whichever side they are on: the primary key refuses a second.
CREATE TABLE call_participants (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  call_id uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE
);
