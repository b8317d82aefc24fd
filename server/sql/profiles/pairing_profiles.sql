-- What random-match pairing reads of a profile: the gender and interests it shows and matches on,
-- and the preferences (genders sought, age range) both sides must fit. A plain view, expanded into
-- the calling query like users' user_cards, which pairing joins it with.
-- CREATE OR REPLACE VIEW only adds columns at the end; to drop, rename or retype one, a migration
-- runs DROP VIEW IF EXISTS pairing_profiles first and this file creates the view again.
CREATE OR REPLACE VIEW pairing_profiles AS
  SELECT user_id, gender, interests, seeks_genders, age_min, age_max
  FROM profiles;
