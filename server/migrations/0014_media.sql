-- Uploaded photos and videos. The bytes live in object storage (S3, or the
-- data dir in embedded mode) under storage_prefix, a random prefix that is the
-- only way to them; this row holds what is known about them and their state:
--   uploading → (confirmed) pending → (processed) ready | rejected;  deleted by the owner at any point.
CREATE TABLE media (
  id                  uuid PRIMARY KEY,
  owner_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind                text NOT NULL CHECK (kind IN ('avatar', 'profile_photo', 'cover', 'post_media', 'message_attachment', 'verification_document')),
  state               text NOT NULL DEFAULT 'uploading' CHECK (state IN ('uploading', 'pending', 'ready', 'rejected', 'deleted')),
  -- What the client said it would send: the size is the most the upload may store.
  declared_mime       text NOT NULL,
  declared_bytes      bigint NOT NULL CHECK (declared_bytes > 0),
  -- The client's file name, reduced to a harmless display string; never part of a storage key.
  filename            text,
  storage_prefix      text NOT NULL UNIQUE,
  -- Set while a multipart upload is open (its id at the store, and its part size).
  multipart_upload_id text,
  multipart_part_bytes integer,
  -- Known once confirmed (bytes) and processed (the rest).
  bytes               bigint,
  detected_mime       text,
  width               integer,
  height              integer,
  duration_ms         integer,
  -- { "<variant>": { "key", "mime", "width", "height", "bytes" } }
  variants            jsonb NOT NULL DEFAULT '{}'::jsonb,
  reject_reason       text CHECK (reject_reason IN ('unsupported_type', 'empty', 'too_large', 'pixel_limit', 'truncated', 'no_video_stream', 'too_long', 'corrupt', 'processing_failed', 'moderation')),
  -- The moderate() step's verdict; moderated_by is set when an admin overrode it.
  moderation          text NOT NULL DEFAULT 'pending' CHECK (moderation IN ('pending', 'approved', 'rejected')),
  moderation_reason   text,
  moderated_by        uuid,
  moderated_at        timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  upload_expires_at   timestamptz NOT NULL,
  confirmed_at        timestamptz,
  ready_at            timestamptz,
  deleted_at          timestamptz,
  -- When every object under storage_prefix was removed (deleted, or rejected by processing).
  purged_at           timestamptz,
  CHECK ((state = 'rejected') = (reject_reason IS NOT NULL))
);
CREATE INDEX media_owner_idx ON media (owner_id, created_at DESC);
-- The sweep's three look-ups: unconfirmed uploads past their time, storage still to remove, processing whose job was lost.
CREATE INDEX media_unconfirmed_idx ON media (upload_expires_at) WHERE state = 'uploading';
CREATE INDEX media_unpurged_idx ON media (created_at) WHERE purged_at IS NULL AND (state = 'deleted' OR (state = 'rejected' AND reject_reason <> 'moderation'));
CREATE INDEX media_pending_idx ON media (confirmed_at) WHERE state = 'pending';
