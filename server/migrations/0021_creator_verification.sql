-- Creator verification (issue #13): a creator's legal identity and proof of age, reviewed by an admin.
-- A submission is pending, then approved or rejected; a rejected creator submits again (a new row), so
-- the history of decisions stays. At most one submission per creator is active (pending or approved).
CREATE TABLE creator_verifications (
  -- Chosen by the client: submitting twice with the same id stores one submission.
  id                 uuid PRIMARY KEY,
  creator_id         uuid NOT NULL REFERENCES users (id),
  legal_name         text NOT NULL,
  date_of_birth      date NOT NULL,
  -- ISO 3166-1 alpha-2.
  country            char(2) NOT NULL,
  document_media_id  uuid NOT NULL REFERENCES media (id),
  selfie_media_id    uuid NOT NULL REFERENCES media (id),
  -- The account's birthdate was the same as the document's when submitted: a mismatch is shown to the reviewer.
  birthdate_matches  boolean NOT NULL,
  status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  reason             text,
  reviewed_by        uuid REFERENCES users (id),
  reviewed_at        timestamptz,
  submitted_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'pending') = (reviewed_at IS NULL)),
  CHECK (status <> 'rejected' OR reason IS NOT NULL),
  CHECK (document_media_id <> selfie_media_id)
);

CREATE UNIQUE INDEX creator_verifications_active ON creator_verifications (creator_id) WHERE status IN ('pending', 'approved');
CREATE INDEX creator_verifications_by_creator ON creator_verifications (creator_id, submitted_at DESC);
-- The admin queue: oldest first within a status.
CREATE INDEX creator_verifications_queue ON creator_verifications (status, submitted_at, id);
