-- The creator economy's first half (module `creators`): creator pages,
-- subscription tiers, follows, subscriptions with their periods, free-trial
-- links and tips. Money moves only through the ledger (keys sub:<id>:<period>,
-- tip:<id>); these rows say what was bought and until when.

-- A creator's public page. One per creator (users.role = 'creator').
CREATE TABLE creator_pages (
  user_id          uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  -- Lower case, unique, the page's address (/c/<handle>).
  handle           text NOT NULL UNIQUE CHECK (handle ~ '^[a-z0-9_]{3,30}$'),
  bio              text NOT NULL DEFAULT '' CHECK (length(bio) <= 2000),
  -- [{ "label": text, "url": https URL }], at most 10; checked by the API.
  links            jsonb NOT NULL DEFAULT '[]'::jsonb,
  tags             text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 10),
  -- Who may send them direct messages.
  message_policy   text NOT NULL DEFAULT 'everyone' CHECK (message_policy IN ('everyone', 'followers', 'subscribers')),
  -- Whether they can be paired in random matches.
  random_matches   boolean NOT NULL DEFAULT true,
  -- Kept by the statements that follow, subscribe and publish (same transaction), for listings and sorting.
  follower_count   integer NOT NULL DEFAULT 0 CHECK (follower_count >= 0),
  subscriber_count integer NOT NULL DEFAULT 0 CHECK (subscriber_count >= 0),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX creator_pages_popular_idx ON creator_pages (subscriber_count DESC, follower_count DESC, user_id);
CREATE INDEX creator_pages_new_idx ON creator_pages (created_at DESC, user_id);
CREATE INDEX creator_pages_tags_idx ON creator_pages USING gin (tags);

-- Subscription tiers: a price in credits per 30 days; rank orders them (a post for tier >= 2 is seen by ranks 2..).
-- A price change is announced: price_next applies to renewals on or after price_next_at, which is at least one
-- notice period after the announcement, so every subscriber is told before they pay it.
CREATE TABLE creator_tiers (
  id               uuid PRIMARY KEY,
  creator_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  rank             smallint NOT NULL CHECK (rank BETWEEN 1 AND 10),
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
  description      text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
  price            integer NOT NULL CHECK (price > 0),
  -- Percent off for paying several 30-day periods at once.
  discount_3       smallint NOT NULL DEFAULT 0 CHECK (discount_3 BETWEEN 0 AND 90),
  discount_6       smallint NOT NULL DEFAULT 0 CHECK (discount_6 BETWEEN 0 AND 90),
  discount_12      smallint NOT NULL DEFAULT 0 CHECK (discount_12 BETWEEN 0 AND 90),
  price_next       integer CHECK (price_next > 0),
  price_next_at    timestamptz,
  archived_at      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((price_next IS NULL) = (price_next_at IS NULL))
);
CREATE UNIQUE INDEX creator_tiers_rank_idx ON creator_tiers (creator_id, rank) WHERE archived_at IS NULL;

CREATE TABLE follows (
  follower_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  creator_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (follower_id, creator_id),
  CHECK (follower_id <> creator_id)
);
CREATE INDEX follows_creator_idx ON follows (creator_id, created_at, follower_id);

-- Free-trial links: a tier free for `days`, claimed at most max_claims times, until expires_at.
CREATE TABLE trial_links (
  id          uuid PRIMARY KEY,
  creator_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  tier_id     uuid NOT NULL REFERENCES creator_tiers (id),
  code        text NOT NULL UNIQUE,
  days        smallint NOT NULL CHECK (days BETWEEN 1 AND 90),
  max_claims  integer NOT NULL CHECK (max_claims > 0),
  claims      integer NOT NULL DEFAULT 0 CHECK (claims >= 0 AND claims <= max_claims),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trial_links_creator_idx ON trial_links (creator_id, created_at DESC);

-- One row per fan and creator, reused when they subscribe again. A period is paid up front (ledger key
-- sub:<id>:<period>); `period` counts the periods paid or trialled. Status:
--   active    paid (or trialled) to current_period_end; renews there unless cancel_at_period_end
--   grace     the renewal could not be paid; access continues until grace_until, renewal retried meanwhile
--   expired   no access (ran out, cancelled at the end, or grace over)
CREATE TABLE subscriptions (
  id                   uuid PRIMARY KEY,
  fan_id               uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  creator_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  tier_id              uuid NOT NULL REFERENCES creator_tiers (id),
  status               text NOT NULL CHECK (status IN ('active', 'grace', 'expired')),
  period               integer NOT NULL CHECK (period >= 1),
  -- 30-day periods bought at once (1, 3, 6, 12), and what they cost in all.
  months               smallint NOT NULL CHECK (months IN (1, 3, 6, 12)),
  period_price         integer NOT NULL CHECK (period_price >= 0),
  current_period_start timestamptz NOT NULL,
  current_period_end   timestamptz NOT NULL,
  cancel_at_period_end boolean NOT NULL DEFAULT false,
  grace_until          timestamptz,
  trial_link_id        uuid REFERENCES trial_links (id),
  -- A tier change the fan asked for: it takes effect at the next renewal (the current period stays as paid).
  next_tier_id         uuid REFERENCES creator_tiers (id),
  started_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (fan_id, creator_id),
  CHECK (fan_id <> creator_id),
  CHECK ((status = 'grace') = (grace_until IS NOT NULL))
);
CREATE INDEX subscriptions_creator_idx ON subscriptions (creator_id, status);
CREATE INDEX subscriptions_tier_idx ON subscriptions (tier_id) WHERE status IN ('active', 'grace');
-- The renewal job's look-up: what is due (or in grace) now.
CREATE INDEX subscriptions_due_idx ON subscriptions (current_period_end) WHERE status IN ('active', 'grace');

-- A fan claims a trial link once.
CREATE TABLE trial_claims (
  trial_link_id uuid NOT NULL REFERENCES trial_links (id) ON DELETE CASCADE,
  fan_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (trial_link_id, fan_id)
);

-- Tips: to a creator, on a post or on a message; the ledger transfer tip:<id> moved the credits.
CREATE TABLE tips (
  id          uuid PRIMARY KEY,
  fan_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  creator_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  amount      integer NOT NULL CHECK (amount > 0),
  target      text NOT NULL CHECK (target IN ('creator', 'post', 'message')),
  target_id   uuid,
  note        text CHECK (length(note) <= 500),
  -- The client's id for this tip: a retry with it is the same tip.
  client_id   uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (fan_id, client_id),
  CHECK ((target = 'creator') = (target_id IS NULL))
);
CREATE INDEX tips_creator_idx ON tips (creator_id, created_at DESC);
