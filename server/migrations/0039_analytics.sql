-- Analytics (issue #14): an append-only log of product events and the daily figures rolled up from it.
-- Events are written in batches by AnalyticsService (one multi-row INSERT per flush) and never changed;
-- the roll-up jobs read them by time (at) and by kind and time (kind, at).
CREATE TABLE analytics_events (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind    text NOT NULL,
  user_id uuid NOT NULL,
  at      timestamptz NOT NULL DEFAULT now(),
  props   jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX analytics_events_at_idx ON analytics_events (at);
CREATE INDEX analytics_events_kind_at_idx ON analytics_events (kind, at, user_id);

-- One figure of one UTC day: a metric ('dau', 'revenue.sold', 'creator.followers', ...) and a dimension
-- ('' for platform-wide figures, a creator's id for creator statistics). A day's roll-up deletes its rows
-- and writes them again in one transaction, so re-running a day replaces it.
CREATE TABLE analytics_daily (
  day       date NOT NULL,
  metric    text NOT NULL,
  dimension text NOT NULL DEFAULT '',
  value     double precision NOT NULL,
  PRIMARY KEY (day, metric, dimension)
);
-- A creator's own figures over a range of days.
CREATE INDEX analytics_daily_dimension_idx ON analytics_daily (dimension, day);

-- The ledger's published view revenue_lines (server/sql/ledger/revenue_lines.sql) is read a day at a time:
-- transfers by time across every account, which the per-account indexes of 0022 do not answer.
CREATE INDEX ledger_transfers_created_idx ON ledger_transfers (created_at);
