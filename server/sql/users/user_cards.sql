-- What other modules may read of a user inside their own statements: the name, role and prices
-- that conversation lists, sends and call history show; birthdate, status and last seen that
-- discovery and pairing filter and rank on; the id, which a block checks exists. Never the email
-- or the password hash: those stay behind the users service.
-- A plain view: PostgreSQL expands it into the calling query, so each caller stays one statement
-- with the same plan as when it named the users table.
-- CREATE OR REPLACE VIEW only adds columns at the end. To drop, rename or retype one of them, or to
-- drop or retype a column of users it reads, a migration runs DROP VIEW IF EXISTS user_cards first,
-- and this file, applied after every migration, creates the view again.
CREATE OR REPLACE VIEW user_cards AS
  SELECT id, display_name, role, status, birthdate, message_price, call_price_per_minute, last_seen_at
  FROM users;
