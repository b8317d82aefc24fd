-- Payouts (issue #13): creators turn available earnings into money through Stripe Connect Express or
-- RazorpayX. The money itself moves only in the ledger (earnings -> payouts:clearing at request, back on
-- failure, on to payouts:paid when the provider pays); these tables hold the request's life and the
-- creator's payout methods.

-- A creator's account with a provider: a Stripe connected account (acct_...) or a RazorpayX contact and
-- fund account (cont_... / fa_...). One per creator and provider.
CREATE TABLE payout_methods (
  creator_id   uuid NOT NULL REFERENCES users (id),
  provider     text NOT NULL CHECK (provider IN ('stripe', 'razorpay')),
  account_ref  text NOT NULL,
  contact_ref  text,
  -- onboarding: the provider still needs details from the creator; ready: payouts can be sent; restricted: the provider refuses them.
  status       text NOT NULL CHECK (status IN ('onboarding', 'ready', 'restricted')),
  -- What the creator is shown (the bank's last four digits, the VPA), never a full account number.
  details      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (creator_id, provider)
);
CREATE UNIQUE INDEX payout_methods_account ON payout_methods (provider, account_ref);

-- One request to be paid. Its id is the client's (a retried request is the same payout) and the
-- provider idempotency keys are derived from it, so a retried job never pays twice.
CREATE TABLE payouts (
  id            uuid PRIMARY KEY,
  creator_id    uuid NOT NULL REFERENCES users (id),
  provider      text NOT NULL CHECK (provider IN ('stripe', 'razorpay')),
  credits       bigint NOT NULL CHECK (credits > 0),
  amount_minor  bigint NOT NULL CHECK (amount_minor > 0),
  currency      text NOT NULL,
  status        text NOT NULL CHECK (status IN ('requested', 'approved', 'processing', 'paid', 'failed', 'reversed', 'rejected', 'cancelled')),
  -- A rejection's reason (shown to the creator) or the provider's failure.
  reason        text,
  provider_ref  text,
  automatic     boolean NOT NULL DEFAULT false,
  decided_by    uuid REFERENCES users (id),
  requested_at  timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (status <> 'rejected' OR reason IS NOT NULL)
);
CREATE INDEX payouts_by_creator ON payouts (creator_id, requested_at DESC, id);
CREATE INDEX payouts_queue ON payouts (status, requested_at, id);
CREATE INDEX payouts_by_ref ON payouts (provider, provider_ref) WHERE provider_ref IS NOT NULL;

-- Provider webhook deliveries already applied: a replay finds its row and changes nothing.
CREATE TABLE payout_events (
  provider     text NOT NULL,
  event_id     text NOT NULL,
  type         text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);

-- Automatic payouts: a creator's schedule (weekly or monthly) and where to send them.
CREATE TABLE payout_schedules (
  creator_id   uuid PRIMARY KEY REFERENCES users (id),
  every        text NOT NULL CHECK (every IN ('weekly', 'monthly')),
  provider     text NOT NULL CHECK (provider IN ('stripe', 'razorpay')),
  next_run_at  timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payout_schedules_due ON payout_schedules (next_run_at);
