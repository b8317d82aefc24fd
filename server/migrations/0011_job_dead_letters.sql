-- Every background job that failed for good (attempts used up, an
-- unrecoverable error, or stalled too often because its worker kept dying),
-- whatever the job: one place admins see and retry them. Kept in PostgreSQL,
-- not only in BullMQ's failed set, which a Redis without persistence loses.
CREATE TABLE job_dead_letters (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_name    text NOT NULL,
  job_id      text NOT NULL,
  -- With the job id, identifies one job: BullMQ's numeric ids start again after Redis loses its data.
  enqueued_at timestamptz NOT NULL,
  payload     jsonb NOT NULL,
  error       text NOT NULL,
  attempts    integer NOT NULL,
  stalled     boolean NOT NULL DEFAULT false,
  failed_at   timestamptz NOT NULL DEFAULT now(),
  retried_at  timestamptz,
  retried_by  text,
  UNIQUE (job_name, job_id, enqueued_at)
);
CREATE INDEX job_dead_letters_open_idx ON job_dead_letters (failed_at DESC) WHERE retried_at IS NULL;
