-- Reports to decisions (issue #18): one reports model for every kind of subject, the decisions admins take
-- on a reported user, and the one appeal each decision allows. Owned by the reports module.

-- A suspension has an end (NULL: a ban, permanent); login refuses the account until then and lets it in after.
ALTER TABLE users ADD COLUMN suspended_until timestamptz;
ALTER TABLE users ADD COLUMN suspension_reason text CHECK (length(suspension_reason) <= 1000);

-- What a user reported. `content` is the subject as the reporter saw it when reporting (a message's words and
-- earlier versions, a session's transcript, a post, a profile), kept whatever happens to it later.
CREATE TABLE reports (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reporter_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  subject     text NOT NULL CHECK (subject IN ('user', 'profile', 'message', 'post', 'match_session')),
  subject_id  uuid NOT NULL,
  reported_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  reason      text NOT NULL CHECK (reason IN ('spam', 'harassment', 'hate', 'sexual_content', 'violence', 'scam', 'underage', 'impersonation', 'other')),
  note        text CHECK (length(note) <= 1000),
  content     jsonb NOT NULL,
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'actioned', 'dismissed')),
  decision_id bigint,
  created_at  timestamptz NOT NULL DEFAULT now(),
  decided_at  timestamptz
);
-- One open report per reporter and subject: reporting again while it is open is the same report.
CREATE UNIQUE INDEX reports_open_once ON reports (reporter_id, subject, subject_id) WHERE status = 'open';
CREATE INDEX reports_queue_idx ON reports (reported_id, created_at) WHERE status = 'open';
CREATE INDEX reports_reported_idx ON reports (reported_id, id);
CREATE INDEX reports_reporter_idx ON reports (reporter_id, id);

-- An admin's decision on a user (admin_id NULL: the CLI). `until` only for a suspension.
CREATE TABLE moderation_decisions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  admin_id    uuid REFERENCES users (id) ON DELETE SET NULL,
  action      text NOT NULL CHECK (action IN ('dismiss', 'remove_content', 'warn', 'suspend', 'ban', 'restore')),
  reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  until       timestamptz,
  subject     text,
  subject_id  uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((action = 'suspend') = (until IS NOT NULL))
);
CREATE INDEX moderation_decisions_user_idx ON moderation_decisions (user_id, id);

-- A decided user's appeal: one per decision (the primary key says once).
CREATE TABLE decision_appeals (
  decision_id bigint PRIMARY KEY REFERENCES moderation_decisions (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'reversed')),
  decided_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  decided_at  timestamptz
);
CREATE INDEX decision_appeals_open_idx ON decision_appeals (created_at) WHERE status = 'open';

-- The audit-log view filters by target; admin actions name their target user in meta.userId.
CREATE INDEX audit_log_target_idx ON audit_log ((meta ->> 'userId'), id);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);

-- Reports filed before this model (message and random-session reports) join the one queue. Their free-text
-- reason becomes the note, under 'other'; their tables are kept as they were and no longer written.
INSERT INTO reports (reporter_id, subject, subject_id, reported_id, reason, note, content, status, created_at)
SELECT reporter_id, 'message', message_id, sender_id, 'other', reason,
       jsonb_build_object('body', body, 'edits', edits), status, created_at
FROM message_reports
WHERE sender_id IN (SELECT id FROM users);
INSERT INTO reports (reporter_id, subject, subject_id, reported_id, reason, note, content, status, created_at)
SELECT reporter_id, 'match_session', session_id, reported_id, 'other', reason,
       jsonb_build_object('transcript', transcript), status, created_at
FROM match_reports;
