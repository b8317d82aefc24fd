-- A creator's handle (the address of their page, /c/<handle>), for other modules' views that link to it
-- (posts: a post names its creator). A plain view, expanded into the caller's statement. To drop or retype
-- a column, a migration runs DROP VIEW IF EXISTS creator_handles first and this file creates it again.
CREATE OR REPLACE VIEW creator_handles AS
  SELECT user_id, handle
  FROM creator_pages;
