-- Moderation verdicts: what the moderate step decided about a user's text or image, with the classifier's
-- scores and the rules that fired. Images keep every verdict (their scores are the evidence an admin reads);
-- texts keep only what was not allowed as sent (one row per chat message would double the send path's writes).
-- A quarantined subject waits for an admin: decided_by / decided_at / decision record who settled it.
-- Random-match snapshots found nude are verdicts with place 'random_snapshot': the flag safety's reports read.
CREATE TABLE moderation_verdicts (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subject_kind text NOT NULL CHECK (subject_kind IN ('media', 'message', 'post', 'comment', 'bio', 'snapshot')),
  subject_id   text NOT NULL,
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  place        text NOT NULL CHECK (place IN ('profile', 'creator_post', 'attachment', 'random_snapshot', 'chat', 'post', 'comment', 'bio')),
  verdict      text NOT NULL CHECK (verdict IN ('allow', 'quarantine', 'block')),
  scores       jsonb NOT NULL DEFAULT '{}'::jsonb,
  reasons      text[] NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  decided_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  decided_at   timestamptz,
  decision     text CHECK (decision IN ('allow', 'remove')),
  CHECK ((decided_at IS NULL) = (decision IS NULL))
);

-- The admin queue: quarantined and not yet decided, oldest first.
CREATE INDEX moderation_verdicts_queue_idx ON moderation_verdicts (created_at) WHERE verdict = 'quarantine' AND decided_at IS NULL;
-- One verdict per subject and place: a retried processing job (or a retried refused send) finds its first
-- verdict instead of queueing the same item twice.
CREATE UNIQUE INDEX moderation_verdicts_subject_key ON moderation_verdicts (subject_kind, subject_id, place);
CREATE INDEX moderation_verdicts_user_idx ON moderation_verdicts (user_id, created_at);
