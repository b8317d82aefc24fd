-- Creators whose verification an admin approved (issue #13): what payouts and paid content require.
-- One row per verified creator (at most one approved submission each, by creator_verifications_active).
-- A plain view, expanded into the caller's statement. To drop or retype a column, a migration runs
-- DROP VIEW IF EXISTS verified_creators first and this file creates it again.
CREATE OR REPLACE VIEW verified_creators AS
  SELECT creator_id, reviewed_at AS verified_at
  FROM creator_verifications
  WHERE status = 'approved';
