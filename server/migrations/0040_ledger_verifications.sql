-- The scheduled ledger verification's results (module `ledger`, job ledger.verify): the job runs in the
-- workers process, which Prometheus does not scrape; the nodes read the last result from here for
-- pairly_ledger_verification_ok / _age_seconds. One row per run, old ones removed by the job.
CREATE TABLE ledger_verifications (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  checked_at   timestamptz NOT NULL DEFAULT now(),
  ok           boolean NOT NULL,
  -- Findings (broken transfers and chains, balance mismatches) and the posted total, as the report has them.
  report       jsonb NOT NULL
);
CREATE INDEX ledger_verifications_checked_idx ON ledger_verifications (checked_at DESC);
