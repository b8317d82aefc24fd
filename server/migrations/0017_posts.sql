-- The creator economy's second half (module `posts`): posts with their media, who may see them (free,
-- followers, subscribers of a tier rank or more, pay-per-view), unlocks, likes, comments, bookmarks and the
-- per-user feed rows written by fan-out. Who follows or subscribes comes from creators' creator_audience view.

-- A creator's post. Scheduled publishing is lazy: published_at is set when the post is written (now, or the
-- future time asked for) and every read asks published_at <= now(); the fan-out job runs at that time.
CREATE TABLE posts (
  id               uuid PRIMARY KEY,
  creator_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  body             text NOT NULL DEFAULT '' CHECK (length(body) <= 10000),
  -- free: anyone signed in; followers: followers and subscribers; tier: subscribers of rank >= min_tier_rank;
  -- ppv: whoever paid `price` (subscribers `subscriber_price` when set, which may be 0).
  visibility       text NOT NULL CHECK (visibility IN ('free', 'followers', 'tier', 'ppv')),
  min_tier_rank    smallint CHECK (min_tier_rank BETWEEN 1 AND 10),
  price            integer CHECK (price > 0),
  subscriber_price integer CHECK (subscriber_price >= 0),
  comments_enabled boolean NOT NULL DEFAULT true,
  pinned_at        timestamptz,
  published_at     timestamptz NOT NULL,
  -- Soft delete: buyers keep their access, everyone else stops seeing it (feeds join the post).
  deleted_at       timestamptz,
  -- Fan-out progress: the last user_id written (a retried job resumes after it), and when it finished.
  fanout_after     uuid,
  fanout_done_at   timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((visibility = 'tier') = (min_tier_rank IS NOT NULL)),
  CHECK ((visibility = 'ppv') = (price IS NOT NULL)),
  CHECK (subscriber_price IS NULL OR (visibility = 'ppv' AND subscriber_price < price))
);
-- A creator's page, newest first (the cursor is (published_at, id)), and the merge-on-read of big creators.
CREATE INDEX posts_creator_idx ON posts (creator_id, published_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX posts_pinned_idx ON posts (creator_id, pinned_at) WHERE pinned_at IS NOT NULL AND deleted_at IS NULL;
-- The fan-out sweep: published posts whose fan-out has not finished.
CREATE INDEX posts_fanout_idx ON posts (published_at) WHERE fanout_done_at IS NULL;

-- A post's media in order (ready post_media items of the creator's); by media_id for the media read rule.
CREATE TABLE post_media (
  post_id  uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  position smallint NOT NULL CHECK (position BETWEEN 0 AND 19),
  media_id uuid NOT NULL REFERENCES media (id),
  PRIMARY KEY (post_id, position)
);
CREATE INDEX post_media_media_idx ON post_media (media_id);

-- Who paid for a pay-per-view post, and what (the ledger transfer unlock:<post>:<user>, same transaction).
CREATE TABLE post_unlocks (
  post_id    uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  price      integer NOT NULL CHECK (price >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (post_id, user_id)
);

CREATE TABLE post_likes (
  post_id    uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (post_id, user_id)
);

CREATE TABLE post_comments (
  id         uuid PRIMARY KEY,
  post_id    uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  author_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX post_comments_post_idx ON post_comments (post_id, created_at DESC, id DESC);

CREATE TABLE post_bookmarks (
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  post_id    uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, post_id)
);
CREATE INDEX post_bookmarks_user_idx ON post_bookmarks (user_id, created_at DESC, post_id DESC);

-- Fan-out on write: one row per (follower, post) of creators whose audience is below FEED_FANOUT_MAX. The key
-- is the feed's order, so a page is one index range; published_at never changes once set. No foreign keys and
-- no second index: a fan-out writes up to FEED_FANOUT_MAX rows per post, and every read joins the post (a
-- deleted post, or one whose creator's account is gone, simply drops out of the page).
CREATE TABLE feed_items (
  user_id      uuid NOT NULL,
  published_at timestamptz NOT NULL,
  post_id      uuid NOT NULL,
  PRIMARY KEY (user_id, published_at, post_id)
);

-- Creators found at or above FEED_FANOUT_MAX by a fan-out: their posts are merged into feeds on read instead.
-- Sticky: a creator once big stays merged on read, so none of their posts falls out of feeds.
CREATE TABLE feed_big_creators (
  creator_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  audience   integer NOT NULL,
  found_at   timestamptz NOT NULL DEFAULT now()
);
