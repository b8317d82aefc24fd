-- Credit purchases through payment providers, the webhook events they send,
-- and reconciliation runs comparing them with the ledger.

CREATE TABLE payments (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id          uuid NOT NULL REFERENCES users (id),
  provider         text NOT NULL CHECK (provider IN ('stripe', 'razorpay', 'sandbox')),
  -- The provider's object for this checkout: a Stripe PaymentIntent, a Razorpay order, a sandbox reference.
  provider_ref     text,
  idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  pack_id          text NOT NULL,
  credits          integer NOT NULL CHECK (credits > 0),
  amount_minor     bigint NOT NULL CHECK (amount_minor > 0),
  currency         text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  status           text NOT NULL CHECK (status IN ('creating', 'pending', 'succeeded', 'failed', 'refunded', 'partially_refunded', 'disputed', 'error')),
  credited         boolean NOT NULL DEFAULT false,
  -- What the provider reported refunded so far (cumulative), and whether a dispute was opened.
  refunded_minor   bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
  disputed         boolean NOT NULL DEFAULT false,
  reversed_credits integer NOT NULL DEFAULT 0 CHECK (reversed_credits >= 0 AND reversed_credits <= credits),
  client           jsonb,
  error            text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, idempotency_key),
  UNIQUE (provider, provider_ref)
);
CREATE INDEX payments_status_idx ON payments (status, created_at);
CREATE INDEX payments_user_idx ON payments (user_id, created_at);

CREATE TABLE payment_events (
  provider     text NOT NULL,
  event_id     text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
  type         text NOT NULL,
  payload      jsonb NOT NULL,
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'ignored', 'dead')),
  attempts     integer NOT NULL DEFAULT 0,
  last_error   text,
  received_at  timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  PRIMARY KEY (provider, event_id)
);
CREATE INDEX payment_events_status_idx ON payment_events (status, received_at);

CREATE TABLE reconciliation_runs (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  summary     jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE TABLE reconciliation_discrepancies (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id       bigint NOT NULL REFERENCES reconciliation_runs (id) ON DELETE CASCADE,
  kind         text NOT NULL,
  provider     text NOT NULL,
  payment_id   uuid,
  provider_ref text,
  details      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX reconciliation_discrepancies_run_idx ON reconciliation_discrepancies (run_id);
