-- What other modules may read of a creator's own controls: who may message them (chat's send checks
-- it with creator_audience) and whether they take random matches (match's join checks it). One row
-- per creator page; a user without a page has no row: everyone may message them, and they may match.
-- A plain view, expanded into the caller's statement. To drop or retype a column, a migration runs
-- DROP VIEW IF EXISTS creator_policies first and this file creates it again.
CREATE OR REPLACE VIEW creator_policies AS
  SELECT user_id, message_policy, random_matches
  FROM creator_pages;
