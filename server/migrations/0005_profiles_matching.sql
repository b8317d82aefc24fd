-- Profiles and preferences, the compatibility question bank, likes/passes and
-- mutual matches, and random-match sessions.

CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

CREATE TABLE profiles (
  user_id        uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  bio            text NOT NULL DEFAULT '' CHECK (length(bio) <= 2000),
  gender         text CHECK (gender IN ('woman', 'man', 'nonbinary', 'other')),
  interests      text[] NOT NULL DEFAULT '{}' CHECK (cardinality(interests) <= 20),
  languages      text[] NOT NULL DEFAULT '{}' CHECK (cardinality(languages) <= 10),
  -- Coarse location only: rounded to 0.01 degree (about 1 km) before it is stored.
  lat            double precision CHECK (lat BETWEEN -90 AND 90),
  lng            double precision CHECK (lng BETWEEN -180 AND 180),
  seeks_genders  text[] NOT NULL DEFAULT '{}',
  age_min        integer NOT NULL DEFAULT 18 CHECK (age_min >= 18),
  age_max        integer NOT NULL DEFAULT 99 CHECK (age_max <= 120 AND age_max >= age_min),
  max_distance_km integer CHECK (max_distance_km BETWEEN 1 AND 20000),
  last_active_at timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((lat IS NULL) = (lng IS NULL))
);
CREATE INDEX profiles_earth_idx ON profiles USING gist (ll_to_earth(lat, lng)) WHERE lat IS NOT NULL;
CREATE INDEX profiles_active_idx ON profiles (last_active_at);

CREATE TABLE questions (
  id      integer PRIMARY KEY,
  text    text NOT NULL,
  answers text[] NOT NULL CHECK (cardinality(answers) BETWEEN 2 AND 6)
);

CREATE TABLE answers (
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  question_id integer NOT NULL REFERENCES questions (id),
  answer      integer NOT NULL CHECK (answer >= 0),
  accepted    integer[] NOT NULL CHECK (cardinality(accepted) >= 1),
  importance  integer NOT NULL CHECK (importance IN (0, 1, 10, 50, 250)),
  answered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, question_id)
);
CREATE INDEX answers_question_idx ON answers (question_id, user_id);

CREATE TABLE swipes (
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  target_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind       text NOT NULL CHECK (kind IN ('like', 'pass')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, target_id),
  CHECK (user_id <> target_id)
);
CREATE INDEX swipes_target_idx ON swipes (target_id) WHERE kind = 'like';

CREATE TABLE matches (
  user_low        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  user_high       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  conversation_id uuid REFERENCES conversations (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_low, user_high),
  CHECK (user_low < user_high)
);

-- Random (Omegle-style) sessions; their messages live in a 'match' conversation, closed at the end.
ALTER TABLE conversations ADD COLUMN closed_at timestamptz;

CREATE TABLE match_sessions (
  id              uuid PRIMARY KEY,
  mode            text NOT NULL CHECK (mode IN ('text', 'video')),
  user_a          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  user_b          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL REFERENCES conversations (id),
  common_interests text[] NOT NULL DEFAULT '{}',
  started_at      timestamptz NOT NULL DEFAULT now(),
  ended_at        timestamptz,
  end_reason      text,
  ended_by        uuid
);
CREATE INDEX match_sessions_user_a_idx ON match_sessions (user_a, started_at);
CREATE INDEX match_sessions_user_b_idx ON match_sessions (user_b, started_at);

CREATE TABLE match_reports (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id  uuid NOT NULL REFERENCES match_sessions (id) ON DELETE CASCADE,
  reporter_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  reported_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  -- The session's messages at the time of the report, kept for moderation.
  transcript  jsonb NOT NULL,
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'actioned', 'dismissed')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (session_id, reporter_id)
);

INSERT INTO questions (id, text, answers) VALUES
  (1, 'Do you want children someday?', ARRAY['Yes', 'No', 'Not sure']),
  (2, 'How often do you drink alcohol?', ARRAY['Never', 'Socially', 'Often']),
  (3, 'Do you smoke?', ARRAY['Yes', 'No']),
  (4, 'Are you a morning person or a night owl?', ARRAY['Morning', 'Night', 'Both']),
  (5, 'Is religion important in your life?', ARRAY['Very', 'Somewhat', 'Not at all']),
  (6, 'How tidy are you?', ARRAY['Very tidy', 'Average', 'Messy']),
  (7, 'Do you want pets?', ARRAY['Yes', 'No', 'Already have some']),
  (8, 'How do you feel about long-distance relationships?', ARRAY['Fine', 'Hard but possible', 'No']),
  (9, 'Introvert or extrovert?', ARRAY['Introvert', 'Extrovert', 'Ambivert']),
  (10, 'How important is politics in a partner?', ARRAY['Very', 'Somewhat', 'Not at all']);
